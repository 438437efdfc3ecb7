"""Request dependencies of the caller: its API key, scopes and repository."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request, Response

from app.access.key_guard import confirm, guarded_principal
from app.access.keys import Principal, RateLimiter, authenticate, authorise, require_admin
from app.core.db import session_scope
from app.core.deps import SessionDep
from app.core.idempotency import complete_claim, lock_claim, pending_claim
from app.core.repository import OrgRepository
from app.core.runtime import get_engine
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


@contextmanager
def writer_scope(request: Request, response: Response) -> Iterator[OrgRepository]:
    """The session, key, scopes and rate limit of a writing route, entered on the thread that
    does the route's work (not a dependency: FastAPI enters and leaves a blocking dependency on
    worker threads of their own, two hops more than the route's work takes), with the key
    checked by the route's first audited write instead of a SELECT first (see
    app.access.key_guard). Commits on leaving, before the route answers."""
    settings = request.app.state.settings
    claim = pending_claim(request.scope)
    with session_scope(get_engine(settings)) as session:
        if claim is not None:
            lock_claim(session, claim)  # as the session dependency does
        authorization = request.headers.get("authorization")
        principal, guard = guarded_principal(session, authorization)
        response.headers.update(rate_limiter(settings).take(principal.key_id))
        authorise(principal, request.method, request.url.path)
        repo = OrgRepository(session, principal.organisation_id, principal.actor, guard)
        try:
            yield repo
        except BaseException:
            if guard is not None and not guard.passed:
                # Never an answer on a key that was not checked: a revoked key gets its 401,
                # not the route's 404 or 422. Read in a new transaction (this one may have
                # failed); the caller's own error stands otherwise.
                session.rollback()
                confirm(session, guard.key.prefix, authorization)
            raise
        if guard is not None and not guard.passed:
            confirm(session, guard.key.prefix, authorization)  # nothing guarded was written
        if claim is not None:
            complete_claim(session, claim)
