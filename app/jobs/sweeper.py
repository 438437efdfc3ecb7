"""The sweeper: pending work survives a restart.

A job is submitted right after the transaction that created it commits, and a job that asked to
be retried is resubmitted by a timer (in-process) or a countdown task (Celery). Both live in one
process; if that process stops, the job stays in the table, ``queued`` or ``running``. Every few
seconds (``CELLCARBON_JOB_SWEEP_INTERVAL_S``) each API and worker process makes one indexed query
for jobs that are

* queued and due (``run_after`` null or past) for longer than ``CELLCARBON_JOB_STALE_AFTER_S``:
  nobody picked them up, so their submission was lost; or
* running with a heartbeat older than that: their worker died;

and submits them again. Duplicates are harmless (jobs are claimed atomically) but cost broker
traffic, so a queued job is resubmitted by one process at a time: the sweeper that resubmits it
first stamps its ``heartbeat_at`` (unused while a job is queued; a claim overwrites it), and the
others skip it for a stale period. A running job's stale heartbeat is left alone: the claim that
takes it over needs it stale.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from app.core.models import utc_now
from app.core.runtime import get_engine
from app.core.settings import Settings
from app.jobs.models import Job
from app.jobs.submit import submit_job

logger = logging.getLogger("cellcarbon.jobs")
BATCH = 100


def due_jobs(
    engine: Engine, stale_after_s: float, limit: int = BATCH
) -> list[tuple[uuid.UUID, str]]:
    """(id, kind) of jobs to submit again: one query, served by the (status, run_after) index."""
    cutoff = utc_now() - timedelta(seconds=stale_after_s)
    statement = (
        select(col(Job.id), col(Job.kind))
        .where(
            or_(
                and_(
                    col(Job.status) == "queued",
                    or_(
                        col(Job.run_after) < cutoff,
                        and_(col(Job.run_after).is_(None), col(Job.created_at) < cutoff),
                    ),
                    _not_resubmitted_since(cutoff),
                ),
                and_(col(Job.status) == "running", col(Job.heartbeat_at) < cutoff),
            )
        )
        .limit(limit)
    )
    with engine.connect() as connection:
        return [(row.id, row.kind) for row in connection.execute(statement)]


def _not_resubmitted_since(cutoff: datetime) -> Any:
    return or_(col(Job.heartbeat_at).is_(None), col(Job.heartbeat_at) < cutoff)


def take_resubmission(engine: Engine, job_id: uuid.UUID, stale_after_s: float) -> bool:
    """Whether this process may resubmit the queued job ``job_id`` now: one atomic UPDATE, so
    of several sweepers only one resubmits it per stale period. Running jobs always may (their
    takeover is decided by the claim)."""
    cutoff = utc_now() - timedelta(seconds=stale_after_s)
    statement = (
        update(Job)
        .where(col(Job.id) == job_id, col(Job.status) == "queued", _not_resubmitted_since(cutoff))
        .values(heartbeat_at=utc_now())
    )
    with engine.begin() as connection:
        if connection.execute(statement).rowcount == 1:
            return True
        status = connection.execute(select(col(Job.status)).where(col(Job.id) == job_id)).scalar()
    return status == "running"


class Sweeper:
    """Submits :func:`due_jobs` every ``settings.job_sweep_interval_s`` on a daemon thread."""

    def __init__(
        self, settings: Settings, *, engine: Engine | None = None, name: str = "api"
    ) -> None:
        self.settings = settings
        self.engine = engine or get_engine(settings)
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # job id → when this process last submitted it from here (monotonic seconds)
        self._submitted: dict[uuid.UUID, float] = {}

    def tick(self) -> list[uuid.UUID]:
        """Submit what is due now; the ids submitted."""
        stale_after_s = self.settings.job_stale_after_s
        now = time.monotonic()
        self._submitted = {
            job: at for job, at in self._submitted.items() if now - at < stale_after_s
        }
        submitted = []
        for job_id, kind in due_jobs(self.engine, stale_after_s):
            if job_id in self._submitted:
                continue  # sent within the grace period: give that submission its chance
            if not take_resubmission(self.engine, job_id, stale_after_s):
                continue  # another process resubmitted it (or it has started) meanwhile
            submit_job(job_id, self.settings, engine=self.engine, kind=kind)
            self._submitted[job_id] = now
            submitted.append(job_id)
        if submitted:
            logger.info("sweeper (%s) resubmitted %d job(s)", self.name, len(submitted))
        return submitted

    def start(self) -> None:
        if self.settings.job_sweep_interval_s <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._loop, name=f"cellcarbon-sweeper-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        # The first sweep at once: a restarted process picks up what the last one left.
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the thread; try next tick
                logger.exception("sweeper (%s) failed; trying again", self.name)
            self._stop.wait(self.settings.job_sweep_interval_s)
