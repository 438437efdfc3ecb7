"""Request dependencies of the caller: its API key, scopes and repository."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from app.access.keys import Principal, RateLimiter, authenticate, authorise, require_admin
from app.core.deps import SessionDep
from app.core.repository import OrgRepository
from app.core.settings import Settings

_limiters: dict[int, RateLimiter] = {}


def rate_limiter(settings: Settings) -> RateLimiter:
    """This process's limiter of requests per API key (the API and the web interface share it)."""
    limit = settings.rate_limit_per_minute
    if limit not in _limiters:
        _limiters[limit] = RateLimiter(limit)
    return _limiters[limit]


def _principal(request: Request, response: Response, session: SessionDep) -> Principal:
    """The caller, from its API key; 401 without a valid key, 403 beyond its scopes, 429 over
    its rate limit (documented RateLimit-* headers on every response)."""
    principal = authenticate(session, request.headers.get("authorization"))
    # The settings from the request, not SettingsDep (see app.core.deps).
    response.headers.update(rate_limiter(request.app.state.settings).take(principal.key_id))
    authorise(principal, request.method, request.url.path)
    return principal


PrincipalDep = Annotated[Principal, Depends(_principal)]


async def _admin(principal: PrincipalDep) -> Principal:
    require_admin(principal)
    return principal


AdminDep = Annotated[Principal, Depends(_admin)]


async def _repository(session: SessionDep, principal: PrincipalDep) -> OrgRepository:
    # Every query of a request goes through this repository, scoped to the caller's organisation.
    return OrgRepository(session, principal.organisation_id, principal.actor)


RepoDep = Annotated[OrgRepository, Depends(_repository)]
