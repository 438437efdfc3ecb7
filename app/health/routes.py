from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from app import __version__
from app.core.deps import SettingsDep
from app.core.errors import AppError
from app.core.observability import JOBS_QUEUED, metrics_text
from app.core.runtime import get_background, get_engine
from app.health.schemas import BackgroundInfo, HealthPublic, LivenessPublic, ReadinessPublic

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


@router.get("/health/live", response_model=LivenessPublic)
def liveness() -> LivenessPublic:
    """Liveness: the process answers (restart it if this fails)."""
    return LivenessPublic(status="ok", version=__version__)


@router.get(
    "/health/ready",
    response_model=ReadinessPublic,
    responses={503: {"model": ReadinessPublic, "description": "not ready"}},
)
def readiness(settings: SettingsDep) -> JSONResponse:
    """Readiness: database reachable and background loaded (send no traffic otherwise)."""
    checks = {"database": _database_ok(settings), "background": _background_ok(settings)}
    body = ReadinessPublic(status="ready" if all(checks.values()) else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if all(checks.values()) else 503)


@router.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
def metrics(settings: SettingsDep) -> PlainTextResponse:
    """Prometheus metrics: request latency, footprints, jobs."""
    try:
        with get_engine(settings).connect() as connection:
            queued = connection.execute(text("SELECT count(*) FROM job WHERE status = 'queued'"))
            JOBS_QUEUED.set(int(queued.scalar_one()))
    except Exception:  # the metric is best effort; a broken database shows in /health/ready
        pass
    return PlainTextResponse(metrics_text(), media_type="text/plain; version=0.0.4")


def _database_ok(settings: SettingsDep) -> bool:
    try:
        with get_engine(settings).connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to reach the database means "not reachable"
        return False


def _background_ok(settings: SettingsDep) -> bool:
    try:
        get_background(settings)
        return True
    except AppError:
        return False
