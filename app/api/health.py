from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from app import __version__
from app.api.deps import SettingsDep
from app.errors import AppError
from app.runtime import get_background, get_engine
from app.schemas import BackgroundInfo, HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic)
def health(settings: SettingsDep) -> HealthPublic:
    """Service status: database reachable, background name, version hash, size and method."""
    try:
        with get_engine(settings).connect() as connection:
            connection.execute(text("SELECT 1"))
        database = True
    except Exception:  # any failure to reach the database means "not reachable"
        database = False
    try:
        background = get_background(settings)
        info = BackgroundInfo(
            name=background.name,
            version=background.version,
            activities=len(background.products),
            method=background.method,
        )
    except AppError:
        info = None
    status = "ok" if database and info is not None else "degraded"
    return HealthPublic(status=status, database=database, background=info, version=__version__)
