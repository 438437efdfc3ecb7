"""Process-wide state: the database engine and the background, each created once per process."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy.engine import Engine

from app.db import engine_for
from app.errors import BackgroundUnavailable
from app.settings import Settings, get_settings
from lca.background import Background, BackgroundNotBuilt, load_background

_lock = threading.Lock()
_backgrounds: dict[str, Background] = {}


def get_engine(settings: Settings | None = None) -> Engine:
    return engine_for((settings or get_settings()).database_url)


def get_background(settings: Settings | None = None) -> Background:
    """The loaded background for the configured Brightway directory (loaded on first use)."""
    directory = str((settings or get_settings()).brightway_dir.resolve())
    background = _backgrounds.get(directory)
    if background is not None:
        return background
    with _lock:
        if directory not in _backgrounds:
            try:
                _backgrounds[directory] = load_background(
                    (settings or get_settings()).brightway_dir
                )
            except BackgroundNotBuilt as exc:
                raise BackgroundUnavailable(str(exc)) from None
        return _backgrounds[directory]


def forget_backgrounds() -> None:
    """Drop loaded backgrounds (after a rebuild, and between tests)."""
    with _lock:
        _backgrounds.clear()


_executor: ThreadPoolExecutor | None = None


def submit_job(job_id: uuid.UUID, settings: Settings | None = None) -> Future[bool] | None:
    """Hand a committed, queued job to the Celery workers when a broker is configured, else to
    the in-process worker pool (the embedded default)."""
    from app.services.jobs import run_job

    global _executor
    settings = settings or get_settings()
    if settings.broker_url:
        from app.worker import enqueue

        enqueue(job_id, settings)
        return None
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cellcarbon-job")
    return _executor.submit(
        run_job,
        job_id,
        engine=get_engine(settings),
        background=get_background(settings),
        stale_after_s=settings.job_stale_after_s,
    )
