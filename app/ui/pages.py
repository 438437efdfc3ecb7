"""Rendering pages: the Jinja2 environment, and errors as pages rather than problem JSON."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.core.errors import AppError, Unauthorized

logger = logging.getLogger("cellcarbon.ui")
HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
SIGN_IN_PATH = "/ui/sign-in"

# Autoescape everything: a BOM named "<script>…" is shown as text, never run.
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _number(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def _percent(share: float, digits: int = 1) -> str:
    return f"{100 * share:.{digits}f} %"


def _label(code: str) -> str:
    """``raw_material_acquisition_and_pre_processing`` → ``raw material acquisition and …``."""
    return code.replace("_", " ")


templates.filters["number"] = _number
templates.filters["percent"] = _percent
templates.filters["label"] = _label


def page(
    request: Request,
    name: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The template ``name`` rendered for ``request``."""
    context.setdefault("caller", None)
    context.setdefault("title", "CellCarbon")
    body = templates.get_template(name).render(request=request, **context)
    return HTMLResponse(body, status_code=status_code, headers=headers)


def error_page(
    request: Request,
    status_code: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(request, "error.html", status_code, headers, title=title, detail=detail)


class UiRoute(APIRoute):
    """A route whose errors are pages: a missing session goes to the sign-in page, a 404 is a
    "not found" page, and so on; the JSON problem handlers stay the API's."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def render_errors(request: Request) -> Response:
            try:
                response = await handler(request)
                response.headers.update(getattr(request.state, "rate_limit", {}))
                return response
            except Unauthorized:
                if request.headers.get("hx-request"):
                    # htmx follows no redirect into a fragment; it reloads the page instead.
                    return Response(status_code=401, headers={"HX-Redirect": SIGN_IN_PATH})
                return RedirectResponse(SIGN_IN_PATH, status_code=303)
            except AppError as exc:
                headers = {**getattr(request.state, "rate_limit", {}), **exc.headers}
                return error_page(request, exc.status, exc.title, exc.detail, headers)
            except RequestValidationError as exc:
                # Only malformed addresses get here (forms are validated in the routes).
                fields = ", ".join(".".join(map(str, e.get("loc", ()))) for e in exc.errors()[:5])
                if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
                    return error_page(request, 404, "Not found", "There is no such page.")
                return error_page(request, 422, "Invalid input", f"invalid fields: {fields}")

        return render_errors
