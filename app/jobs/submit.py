"""Where a committed job is sent to run: Celery workers or this process."""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession

from app.core.runtime import background_if_built, get_engine
from app.core.settings import Settings, get_settings
from app.jobs.queue import Outcome, execute_job
from app.jobs.workers import enqueue
from app.webhooks.settings import get_webhook_settings

logger = logging.getLogger("cellcarbon.jobs")
_PENDING = "cellcarbon.jobs_after_commit"


# Two in-process pools, so that a webhook or PACT reply is not stuck behind long Monte Carlo
# runs: "io" for deliveries (mostly waiting on the network), "compute" for everything else.
IO_KINDS = frozenset({"webhook.deliver", "pact.fulfil"})
_executors: dict[str, ThreadPoolExecutor] = {}
# Its own lock, not the background's: a first background load holds that one for seconds, and
# submitting a job (from request threads, commit hooks and the event loop) must not wait for it.
_pool_lock = threading.Lock()
# Jobs handed to this process's pools and not yet returned from them: submitting one again (the
# sweeper, a retry timer racing it) would only queue a claim that is bound to fail.
_in_pool: set[uuid.UUID] = set()


def submit_job(
    job_id: uuid.UUID,
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    kind: str | None = None,
    delay_s: float = 0.0,
) -> Future[None] | None:
    """Hand a committed, queued job to the Celery workers when a broker is configured, else to
    the in-process worker pool (the embedded default); ``delay_s`` later if given.

    ``engine`` is the database the job row is in (default: the settings' database); ``kind``
    picks the in-process pool. Submitting twice is harmless: the job is claimed atomically, and
    the second run finds nothing to do.
    """
    settings = settings or get_settings()
    if settings.broker_url:
        try:
            enqueue(job_id, settings, countdown=delay_s)
        except Exception:  # the broker is down: the job row is committed; the sweeper resends it
            logger.exception("job %s not handed to the broker; the sweeper will retry", job_id)
        return None
    if delay_s > 0:
        # A timer in this process; if the process ends first, the sweeper of the next one
        # finds the job due and submits it.
        timer = threading.Timer(
            delay_s, submit_job, (job_id, settings), {"engine": engine, "kind": kind}
        )
        timer.daemon = True
        timer.start()
        return None
    pool = "io" if kind in IO_KINDS else "compute"
    engine = engine or get_engine(settings)
    with _pool_lock:
        if job_id in _in_pool:
            return None
        if pool not in _executors:
            size = _pool_size(pool)
            _executors[pool] = ThreadPoolExecutor(size, thread_name_prefix=f"cellcarbon-{pool}")
        future = _executors[pool].submit(_run_in_pool, job_id, settings, engine, kind)
        _in_pool.add(job_id)  # only once submitted: a failed submit must not block a later one
    return future


def _pool_size(pool: str) -> int:
    if pool == "io":
        return get_webhook_settings().workers
    return 2


def _run_in_pool(job_id: uuid.UUID, settings: Settings, engine: Engine, kind: str | None) -> None:
    try:
        result = execute_job(
            job_id,
            engine=engine,
            settings=settings,
            background=None if kind in IO_KINDS else background_if_built(settings),
            stale_after_s=settings.job_stale_after_s,
        )
    except Exception:  # a pool thread has no caller to report to; the sweeper tries again
        logger.exception("job %s could not be run", job_id)
        return
    finally:
        with _pool_lock:
            _in_pool.discard(job_id)
    if result.outcome in (Outcome.RETRY, Outcome.NOT_DUE):
        submit_job(job_id, settings, engine=engine, kind=kind, delay_s=result.retry_in)


def submit_after_commit(
    session: OrmSession, job_id: uuid.UUID, kind: str, settings: Settings | None = None
) -> None:
    """Submit the job once ``session`` commits, and never if it rolls back: the one path from a
    request (or a job) that creates a job to the workers, so a worker never looks for a row that
    is not committed yet, and a rolled-back request starts nothing."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    session.info.setdefault(_PENDING, []).append((engine, job_id, kind, settings))


@event.listens_for(OrmSession, "after_commit")
def _submit_committed(session: OrmSession) -> None:
    for engine, job_id, kind, settings in session.info.pop(_PENDING, []):
        try:
            submit_job(job_id, settings or get_settings(), engine=engine, kind=kind)
        except Exception:  # the commit stands; the job row is there for the sweeper
            logger.exception("job %s could not be submitted; the sweeper will", job_id)


@event.listens_for(OrmSession, "after_rollback")
def _forget_rolled_back(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)
