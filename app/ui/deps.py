"""Request dependencies of the web interface: the signed-in caller, its repository and CSRF."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from app.access.deps import rate_limiter
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import Forbidden
from app.core.repository import OrgRepository
from app.ui.sessions import SESSION_COOKIE, UiCaller, check_csrf, signed_in


def _caller(request: Request, session: SessionDep, settings: SettingsDep) -> UiCaller:
    """The signed-in caller (401, shown as the sign-in page, without a live session; 429 over
    its key's rate limit, which pages share with the API)."""
    caller = signed_in(session, request.cookies.get(SESSION_COOKIE))
    # UiRoute copies these headers onto the page (a route returning a Response directly does
    # not get a dependency's response headers).
    request.state.rate_limit = rate_limiter(settings).take(caller.principal.key_id)
    return caller


CallerDep = Annotated[UiCaller, Depends(_caller)]


async def _form(request: Request) -> FormData:
    # Starlette keeps the parsed form: the route's Form() parameters read the same one.
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]


async def _form_caller(form: FormDep, caller: CallerDep) -> UiCaller:
    """The caller of a form post: 403 unless the form carries the session's CSRF token."""
    check_csrf(caller.csrf_token, form.get("csrf_token"))
    return caller


FormCallerDep = Annotated[UiCaller, Depends(_form_caller)]


async def _writer(caller: FormCallerDep) -> UiCaller:
    """A form post that stores something: the key also needs the 'write' scope."""
    if not caller.principal.allows("write"):
        raise Forbidden("this API key lacks the 'write' scope")
    return caller


WriterDep = Annotated[UiCaller, Depends(_writer)]


async def _repository(session: SessionDep, caller: CallerDep) -> OrgRepository:
    # Every query of a page goes through this repository, scoped to the caller's organisation.
    return OrgRepository(session, caller.principal.organisation_id, caller.principal.actor)


UiRepoDep = Annotated[OrgRepository, Depends(_repository)]
