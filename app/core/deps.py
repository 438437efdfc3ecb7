"""Request dependencies every slice uses: settings, the session, the background."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.db import session_scope
from app.core.idempotency import complete_claim, lock_claim, pending_claim
from app.core.runtime import get_background, get_engine, loaded_background
from app.core.settings import Settings
from lca.background import Background

# Dependencies that neither block nor wait are ``async def``: FastAPI runs a plain ``def``
# dependency on a worker thread, and each such hop cost more than the dependency itself.


async def _settings(request: Request) -> Settings:
    # The settings the app was created with (app.state), not a dependency override: any
    # override makes FastAPI re-inspect every dependency's signature on every request.
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]


# The dependencies below read the settings from the request, not through SettingsDep: FastAPI
# walks a dependency's sub-dependencies again wherever it is used (the cache only spares the
# call), and a footprint request walked SettingsDep eight times, a fifth of its dependency work.


def _session(request: Request) -> Iterator[Session]:
    claim = pending_claim(request.scope)
    with session_scope(get_engine(request.app.state.settings)) as session:
        if claim is None:
            yield session
            return
        # A POST with an unused Idempotency-Key: its stored response commits with its effect.
        lock_claim(session, claim)
        yield session
        complete_claim(session, claim)


# scope="function": commit (or roll back) when the route returns, before the response is sent,
# so a client that got a 201 can rely on the row existing even if the process dies right after.
SessionDep = Annotated[Session, Depends(_session, scope="function")]


async def _background(request: Request) -> Background:
    # Loaded at start-up, so normally a lookup; a first load takes seconds and goes to a thread.
    settings: Settings = request.app.state.settings
    loaded = loaded_background(settings)
    return loaded if loaded is not None else await run_in_threadpool(get_background, settings)


BackgroundDep = Annotated[Background, Depends(_background)]


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


async def _page(
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> PageParams:
    # Never more rows than the service allows, whatever the query asked for.
    return PageParams(min(limit, settings.page_limit_max), offset)


PageDep = Annotated[PageParams, Depends(_page)]
