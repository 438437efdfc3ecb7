"""The web interface's router: signing in and out, and every page of the slice under /ui."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.access.keys import RateLimiter
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import AppError, Forbidden, TooManyRequests
from app.core.settings import Settings
from app.ui import (
    background_pages,
    bom_pages,
    footprint_pages,
    plant_pages,
    scenario_pages,
    supplier_pages,
)
from app.ui.deps import FormCallerDep
from app.ui.pages import SIGN_IN_PATH, UiRoute, page
from app.ui.sessions import (
    SESSION_COOKIE,
    SESSION_LIFETIME,
    SIGN_IN_COOKIE,
    new_csrf_token,
    sign_in,
    sign_out,
)

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


def _secure(request: Request) -> bool:
    # Secure cookies only over TLS: a plain-HTTP development server would never get them back.
    return request.url.scheme == "https"


def _sign_in_page(
    request: Request,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token = new_csrf_token()
    response = page(
        request,
        "sign_in.html",
        status_code,
        headers,
        title="Sign in",
        csrf_token=token,
        error=error,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=3600,
        path=SIGN_IN_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _sign_in_limiter(request: Request, settings: Settings) -> RateLimiter:
    """Failed sign-ins per client address: a key's secret is far too long to guess, but a
    form that answers every guess at once invites trying. One limiter per application."""
    limit = settings.ui_sign_in_failures_per_minute
    limiter: RateLimiter | None = getattr(request.app.state, "ui_sign_in_limiter", None)
    if limiter is None or limiter.limit != limit:
        limiter = RateLimiter(limit)
        request.app.state.ui_sign_in_limiter = limiter
    return limiter


@router.get("", response_class=RedirectResponse)
def home() -> RedirectResponse:
    """The start page is the list of BOMs."""
    return RedirectResponse("/ui/boms", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request) -> Response:
    """The sign-in form: an API key, exchanged for a session cookie."""
    return _sign_in_page(request)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in_with_key(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    api_key: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Start a session for a valid API key; the key is neither kept nor shown again."""
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise Forbidden("the form was sent without its security token; reload the page and retry")
    limiter, address = _sign_in_limiter(request, settings), _client_address(request)
    try:
        # Spent before the key is looked at, so a burst of parallel guesses is limited too;
        # given back when the key signs in: only failures count.
        limiter.take(address)
    except TooManyRequests as exc:
        detail = "Too many failed sign-ins from this address; wait a minute and try again."
        return _sign_in_page(request, detail, 429, exc.headers)
    try:
        _, token = sign_in(session, api_key)
    except AppError as exc:
        # The same words for every refusal, so the form does not tell which keys exist.
        detail = "That API key cannot sign in: it is unknown, revoked or expired."
        if exc.status == 403:
            detail = exc.detail
        return _sign_in_page(request, detail, 401 if exc.status == 401 else exc.status)
    limiter.give_back(address)
    response = RedirectResponse("/ui/boms", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(
        SIGN_IN_COOKIE, path=SIGN_IN_PATH, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.post("/sign-out")
def sign_out_now(request: Request, caller: FormCallerDep, session: SessionDep) -> Response:
    """End the session and forget its cookie."""
    sign_out(session, caller)
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/ui", httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


for _pages in (
    background_pages,
    bom_pages,
    footprint_pages,
    plant_pages,
    scenario_pages,
    supplier_pages,
):
    router.include_router(_pages.router)
