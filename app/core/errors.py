"""Domain errors and the one place that renders every error as ``application/problem+json``."""

from __future__ import annotations

import json
import traceback
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from lca.background import BackgroundNotBuilt
from lca.errors import FieldProblem, InputError, Location

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """Base of every error the service reports to a client (RFC 9457 problem details)."""

    status: int = 400
    title: str = "Bad request"
    type: str = "about:blank"

    def __init__(
        self,
        detail: str,
        errors: Sequence[dict[str, Any] | FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = [
            problem_dict(error) if isinstance(error, FieldProblem) else error
            for error in errors or []
        ]
        self.headers = headers or {}


def problem_dict(problem: FieldProblem, prefix: Location = ()) -> dict[str, Any]:
    """One entry of a problem's ``errors[]``; ``prefix`` places it under an outer field."""
    return {"loc": [*prefix, *problem.loc], "msg": problem.msg, "type": problem.type}


def problems_of(exc: InputError, prefix: Location = ()) -> list[dict[str, Any]]:
    """The ``errors[]`` entries of an input error of the calculation core, for a service that
    merges them with its own problems so that a client hears of every one at once. An error
    that names no field is put on ``prefix``."""
    if not exc.field_problems:
        return [problem_dict(FieldProblem((), str(exc)), prefix)]
    return [problem_dict(problem, prefix) for problem in exc.field_problems]


class Unauthorized(AppError):
    """No valid API key: missing, unknown, expired or revoked."""

    status = 401
    title = "Unauthorized"


class Forbidden(AppError):
    """The API key is valid but its scopes do not allow this request."""

    status = 403
    title = "Forbidden"


class TooManyRequests(AppError):
    """The API key has used up its request budget for now."""

    status = 429
    title = "Too many requests"


class NotFound(AppError):
    """The resource does not exist (or belongs to another organisation)."""

    status = 404
    title = "Not found"


class InvalidInput(AppError):
    """The payload is well-formed but its content cannot be used."""

    status = 422
    title = "Invalid input"


class PayloadTooLarge(AppError):
    """The request body is larger than the configured limit."""

    status = 413
    title = "Payload too large"


class BackgroundUnavailable(AppError):
    """The background database has not been built or could not be loaded."""

    status = 503
    title = "Background database unavailable"


def problem_response(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        loc = [part for part in error.get("loc", ()) if part != "body"]
        errors.append({"loc": loc, "msg": error.get("msg", ""), "type": error.get("type", "")})
    return errors


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)

    # The calculation core's input errors, wherever a route lets one through: 422 with every
    # field problem. Its other errors are bugs or missing set-up, answered like any unexpected
    # error (500), except a background not built yet (503, as BackgroundUnavailable).
    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError) -> JSONResponse:
        errors = [problem_dict(problem) for problem in exc.field_problems]
        return problem_response(422, InvalidInput.title, str(exc), errors)

    @app.exception_handler(BackgroundNotBuilt)
    async def _background_not_built(_: Request, exc: BackgroundNotBuilt) -> JSONResponse:
        return problem_response(503, BackgroundUnavailable.title, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        fields = ", ".join(".".join(map(str, e["loc"])) or "body" for e in errors[:5])
        return problem_response(422, "Invalid input", f"invalid fields: {fields}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        title = titles.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such route"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # RFC 9110 §15.5.6: a 405 names the methods the resource has. Starlette's names only
            # those of the first route matching the path (GET and POST of one path are two).
            allowed = _allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed here; use {' or '.join(allowed)}"
        return problem_response(exc.status_code, title, detail, headers=headers)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    # Asked of the router rather than read from its routes: included routers nest.
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]


# How long a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_S = 5


def is_database_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached (down, dropped, refusing, pool
    exhausted) rather than that a statement was wrong."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)


def unexpected_problem(
    exc: BaseException, request_id: str | None
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and problem+json body for an exception nothing else handled: 503 with
    ``Retry-After`` when the database is out, 422 when it refused a value, else 500. None says
    anything about internals (no exception text, no SQL); the request id lets an operator find
    the logged details."""
    from sqlalchemy.exc import DataError

    if is_database_outage(exc):
        status, title = 503, "Service unavailable"
        detail = "the database is unavailable; retry later"
        headers = {"retry-after": str(DATABASE_RETRY_AFTER_S)}
    elif isinstance(exc, DataError):
        # The database refused a value the checks before it let through (PostgreSQL stores no
        # NUL in text, e.g. from an uploaded file): the client's input, so not a 500.
        status, title = 422, "Invalid input"
        detail = "a value in the request cannot be stored (a NUL character, or out of range)"
        headers = {}
    else:
        status, title = 500, "Internal server error"
        detail = "the request failed unexpectedly; quote its request id when reporting this"
        headers = {}
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request_id:
        body["request_id"] = request_id
    return status, {"content-type": PROBLEM_JSON, **headers}, json.dumps(body).encode()


def loggable_error(exc: BaseException) -> dict[str, Any]:
    """What may be logged of an unexpected ``exc``: its class, the frames it passed through and
    its message — except where the message quotes values: a database error's (PostgreSQL's
    ``DETAIL: Key (…)=(…)``; only the SQLSTATE is kept) and a validation error's
    (``input_value=…``, which may be a token being returned; only the field paths are kept)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    entry: dict[str, Any] = {
        "error": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "traceback": "".join(traceback.format_tb(exc.__traceback__)),
    }
    original = getattr(exc, "orig", None)
    if isinstance(exc, SQLAlchemyError) or original is not None:
        if original is not None:
            entry["cause"] = f"{type(original).__module__}.{type(original).__qualname__}"
            entry["sqlstate"] = getattr(original, "sqlstate", None)
    elif isinstance(exc, ValidationError):
        entry["fields"] = [".".join(map(str, error["loc"])) for error in exc.errors()][:20]
    else:
        entry["error_message"] = str(exc)[:500]
    return entry


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names each field and the reason",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def document_problems(app: FastAPI) -> None:
    """Describe every error response in the OpenAPI as what it is: problem+json.

    FastAPI documents 422 as its own JSON shape, and other errors not at all; this replaces the
    one and adds a ``default`` problem response to every operation (401, 403, 404, 413, 429,
    503 … all share the shape).
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {
            "description": "Problem",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith(("/v1/", "/health")):
                continue  # the PACT API answers errors in PACT's own {"code", "message"} shape
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {**problem, "description": "Invalid input"}
                responses.setdefault("default", problem)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
