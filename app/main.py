"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from app import __version__
from app.api import boms, footprints, health, materials
from app.body_limit import BodySizeLimit
from app.errors import install_error_handlers
from app.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="CellCarbon",
        version=__version__,
        description=(
            "Carbon footprint of lithium-ion battery cells from their bill of materials, "
            "on the Brightway LCA core with IPCC AR6 GWP100."
        ),
    )
    app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    for module in (health, materials, boms, footprints):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


app = create_app()
