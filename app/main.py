"""The FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app import job_kinds as _job_kinds  # noqa: F401  (every slice's job runners)
from app import tables as _tables  # noqa: F401  (every table, for the metadata)
from app.access import routes as access
from app.access.keys import creating_organisation
from app.backgrounds import routes as backgrounds
from app.backgrounds.routes import BACKGROUNDS_PATH
from app.batches import routes as batches
from app.batches.routes import BATCH_PATH
from app.boms import materials
from app.boms import routes as boms
from app.bundles import routes as bundles
from app.core.body_limit import BodySizeLimit
from app.core.errors import AppError, document_problems, install_error_handlers
from app.core.idempotency import IdempotencyMiddleware, record_responses
from app.core.json_body import JsonBodyGuard
from app.core.observability import RequestContext
from app.core.runtime import freeze_startup_heap, get_background
from app.core.settings import Settings, get_settings
from app.footprints import routes as footprints
from app.footprints import scenario_routes as scenarios
from app.footprints.service import keep_computations
from app.health import routes as health
from app.jobs import routes as jobs
from app.jobs.sweeper import Sweeper
from app.pact import routes as pact_api
from app.pact import sharing_routes as pact_sharing
from app.plants import routes as plants
from app.reports import routes as report_routes
from app.signing import routes as signing
from app.signing.service import warn_if_unencrypted
from app.suppliers import routes as suppliers
from app.ui import routes as ui
from app.ui.background_pages import UPLOAD_PATH as UI_BACKGROUNDS_UPLOAD
from app.ui.pages import STATIC_DIR
from app.webhooks import routes as webhooks_api

logger = logging.getLogger("cellcarbon")


def _warm_up(settings: Settings) -> None:
    """Load the background before the first request, so it is fast; a failure is logged, not
    fatal (/health then says what is missing)."""
    try:
        get_background(settings)
    except AppError as exc:
        logger.warning("background not loaded: %s", exc.detail)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _warm_up(settings)
        warn_if_unencrypted(settings)
        freeze_startup_heap()
        # Resubmits jobs a restart left queued or running (see app.services.sweeper).
        sweeper = Sweeper(settings)
        sweeper.start()
        try:
            yield
        finally:
            sweeper.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="CellCarbon",
        version=__version__,
        description=(
            "Carbon footprint of lithium-ion battery cells from their bill of materials, "
            "on the Brightway LCA core with IPCC AR6 GWP100."
        ),
    )
    app.state.settings = settings
    keep_computations(settings.footprint_computations_kept)
    install_error_handlers(app)
    # The batch route before footprints: /v1/footprints/batch is not a footprint id.
    for module in (
        health,
        materials,
        boms,
        batches,
        footprints,
        scenarios,
        jobs,
        suppliers,
        access,
    ):
        app.include_router(record_responses(module.router))
    app.include_router(record_responses(report_routes.router))
    app.include_router(pact_api.router)
    app.include_router(record_responses(pact_sharing.router))
    app.include_router(record_responses(webhooks_api.router))
    app.include_router(record_responses(plants.router))
    app.include_router(record_responses(backgrounds.router))
    app.include_router(bundles.router)
    app.include_router(record_responses(signing.router))
    app.include_router(signing.public_router)
    app.include_router(ui.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    # Inside the body limit.
    app.add_middleware(IdempotencyMiddleware, settings=settings, creator=creating_organisation)
    # Outside the idempotency middleware: a refused body claims no key and stores nothing.
    app.add_middleware(JsonBodyGuard)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        per_path={
            BATCH_PATH: settings.max_batch_body_bytes,
            BACKGROUNDS_PATH: settings.max_background_upload_bytes,
            UI_BACKGROUNDS_UPLOAD: settings.max_background_upload_bytes,
        },
    )
    # Added last, so it is outermost: every response, 413s included, carries a request id.
    app.add_middleware(RequestContext)
    document_problems(app)
    return app


app = create_app()
