"""Where a committed job is sent to run: Celery workers or this process."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.core.db import call_after_commit
from app.core.runtime import background_if_built, get_engine
from app.core.settings import Settings, get_settings
from app.jobs.models import Job
from app.jobs.queue import Outcome, execute_job
from app.jobs.workers import enqueue

logger = logging.getLogger("cellcarbon.jobs")


# Two in-process pools, so that a webhook or PACT reply is not stuck behind long Monte Carlo
# runs: "io" for deliveries and OPC UA pulls (mostly waiting on the network), "compute" for
# everything else.
IO_KINDS = frozenset({"webhook.deliver", "pact.fulfil", "plant.opcua_pull"})
_executors: dict[str, ThreadPoolExecutor] = {}
# Its own lock, not the background's: a first background load holds that one for seconds, and
# submitting a job (from request threads, commit hooks and the event loop) must not wait for it.
_pool_lock = threading.Lock()
# Jobs handed to this process's pools and not yet returned from them: submitting one again (the
# sweeper, a retry timer racing it) would only queue a claim that is bound to fail.
_in_pool: set[uuid.UUID] = set()


@dataclass
class _Waiting:
    job_id: uuid.UUID
    settings: Settings
    engine: Engine
    kind: str | None


@dataclass
class FairQueue:
    """Jobs waiting for a pool thread, by organisation. The next one comes from the organisation
    with the fewest jobs running in this pool, ties going to the one served longest ago: one
    organisation's backlog of hundreds of jobs delays another's next job by at most the jobs
    already running, not by the whole backlog (first come, first served did)."""

    waiting: dict[uuid.UUID | None, deque[_Waiting]] = field(default_factory=dict)
    running: dict[uuid.UUID | None, int] = field(default_factory=dict)
    served_at: dict[uuid.UUID | None, int] = field(default_factory=dict)
    _turn: int = 0

    def put(self, organisation_id: uuid.UUID | None, item: _Waiting) -> None:
        self.waiting.setdefault(organisation_id, deque()).append(item)

    def take(self) -> tuple[uuid.UUID | None, _Waiting]:
        organisation_id = min(
            self.waiting,
            key=lambda org: (self.running.get(org, 0), self.served_at.get(org, -1)),
        )
        queue = self.waiting[organisation_id]
        item = queue.popleft()
        if not queue:
            del self.waiting[organisation_id]
        self._turn += 1
        self.served_at[organisation_id] = self._turn
        self.running[organisation_id] = self.running.get(organisation_id, 0) + 1
        return organisation_id, item

    def done(self, organisation_id: uuid.UUID | None) -> None:
        left = self.running.get(organisation_id, 1) - 1
        if left > 0:
            self.running[organisation_id] = left
        else:
            self.running.pop(organisation_id, None)
            if organisation_id not in self.waiting:
                self.served_at.pop(organisation_id, None)


_fair: dict[str, FairQueue] = {}


def submit_job(
    job_id: uuid.UUID,
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    kind: str | None = None,
    delay_s: float = 0.0,
    organisation_id: uuid.UUID | None = None,
) -> Future[None] | None:
    """Hand a committed, queued job to the Celery workers when a broker is configured, else to
    the in-process worker pool (the embedded default); ``delay_s`` later if given.

    ``engine`` is the database the job row is in (default: the settings' database); ``kind``
    picks the in-process pool; ``organisation_id`` (looked up when not given) its turn in the
    pool's :class:`FairQueue`. Submitting twice is harmless: the job is claimed atomically, and
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
            delay_s,
            submit_job,
            (job_id, settings),
            {"engine": engine, "kind": kind, "organisation_id": organisation_id},
        )
        timer.daemon = True
        timer.start()
        return None
    pool = "io" if kind in IO_KINDS else "compute"
    engine = engine or get_engine(settings)
    if organisation_id is None:
        organisation_id = _organisation_of(engine, job_id)
    with _pool_lock:
        if job_id in _in_pool:
            return None
        if pool not in _executors:
            size = _pool_size(pool, settings)
            _executors[pool] = ThreadPoolExecutor(size, thread_name_prefix=f"cellcarbon-{pool}")
            _fair[pool] = FairQueue()
        # One pool task per queued job, but the task runs whichever job is fairest then.
        future = _executors[pool].submit(_run_next, pool)
        _fair[pool].put(organisation_id, _Waiting(job_id, settings, engine, kind))
        _in_pool.add(job_id)  # only once submitted: a failed submit must not block a later one
    return future


def _organisation_of(engine: Engine, job_id: uuid.UUID) -> uuid.UUID | None:
    """The job's organisation (one primary-key read); None if it cannot be read now, which only
    costs the job its fair turn."""
    try:
        with engine.connect() as connection:
            return connection.execute(
                select(col(Job.organisation_id)).where(col(Job.id) == job_id)
            ).scalar()
    except Exception:
        logger.warning("organisation of job %s not read; it queues without one", job_id)
        return None


def _run_next(pool: str) -> None:
    with _pool_lock:
        organisation_id, item = _fair[pool].take()
    try:
        _run_in_pool(item.job_id, item.settings, item.engine, item.kind, organisation_id)
    finally:
        with _pool_lock:
            _fair[pool].done(organisation_id)


def _pool_size(pool: str, settings: Settings) -> int:
    if pool == "io":
        return settings.webhook_workers
    return 2


def _run_in_pool(
    job_id: uuid.UUID,
    settings: Settings,
    engine: Engine,
    kind: str | None,
    organisation_id: uuid.UUID | None = None,
) -> None:
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
        submit_job(
            job_id,
            settings,
            engine=engine,
            kind=kind,
            delay_s=result.retry_in,
            organisation_id=organisation_id,
        )


def submit_after_commit(
    session: Session, job_id: uuid.UUID, kind: str, settings: Settings | None = None
) -> None:
    """Submit the job once ``session`` commits, and never if it rolls back: the one path from a
    request (or a job) that creates a job to the workers, so a worker never looks for a row that
    is not committed yet, and a rolled-back request starts nothing."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    call_after_commit(
        session, partial(submit_job, job_id, settings or get_settings(), engine=engine, kind=kind)
    )
