"""The FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from app import __version__
from app.api import boms, footprints, health, jobs, materials, scenarios, suppliers
from app.body_limit import BodySizeLimit
from app.db import session_scope
from app.errors import AppError, install_error_handlers
from app.repository import default_organisation_id
from app.runtime import get_background, get_engine
from app.settings import Settings, get_settings

logger = logging.getLogger("cellcarbon")


def _warm_up(settings: Settings) -> None:
    """Load the background and create the default organisation before the first request.

    Both also happen lazily; doing them here keeps the first request fast and avoids two first
    requests racing to create the default organisation. A failure is logged, not fatal: /health
    then reports what is missing.
    """
    try:
        get_background(settings)
    except AppError as exc:
        logger.warning("background not loaded: %s", exc.detail)
    try:
        with session_scope(get_engine(settings)) as session:
            default_organisation_id(session, settings.default_organisation)
    except SQLAlchemyError as exc:
        logger.warning("database not ready (run `cellcarbon db upgrade`): %s", exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _warm_up(settings)
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="CellCarbon",
        version=__version__,
        description=(
            "Carbon footprint of lithium-ion battery cells from their bill of materials, "
            "on the Brightway LCA core with IPCC AR6 GWP100."
        ),
    )
    app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    for module in (health, materials, boms, footprints, scenarios, jobs, suppliers):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


app = create_app()
