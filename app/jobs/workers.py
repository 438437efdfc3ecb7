"""Celery workers for jobs, when ``CELLCARBON_BROKER_URL`` names a Redis broker.

Delivery is at-least-once: a task is acknowledged only after it ran (``acks_late``), a worker
killed mid-task leaves it unacknowledged so the broker hands it to another worker after the
visibility timeout, and one job per worker process at a time (``prefetch_multiplier=1``) means
a stopping worker hands back nothing it had not started. Exactly-once *effects* come from the
job table: :func:`app.jobs.queue.run_job` claims atomically, and only the current claimant
stores an outcome. A job that asks to be retried later is sent again with a countdown, and so
is one whose organisation has more jobs running than another that has one waiting
(:func:`app.jobs.queue.yields_turn`: fair turns between organisations); each pool
process also runs the sweeper, so a job whose task was lost (enqueued by a process that died
first) is still run.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from app.core.runtime import background_if_built, get_engine
from app.core.settings import Settings, get_settings
from app.jobs.queue import Outcome, execute_job, yields_turn

RUN_JOB_TASK = "cellcarbon.run_job"
QUEUE = "cellcarbon-jobs"
# How long a job that yields its turn to another organisation waits before it is tried again.
YIELD_COUNTDOWN_S = 1.0


@lru_cache
def celery_app(broker_url: str, visibility_timeout_s: int) -> Celery:
    app = Celery("cellcarbon", broker=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        broker_transport_options={"visibility_timeout": visibility_timeout_s},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_ignore_result=True,
    )

    @app.task(name=RUN_JOB_TASK, bind=True, max_retries=None)
    def run_job_task(self: Any, job_id: str) -> str:
        settings = get_settings()
        if yields_turn(get_engine(settings), uuid.UUID(job_id)):
            # Fair turns: another organisation's job is waiting behind this one's flood.
            enqueue(uuid.UUID(job_id), settings, countdown=YIELD_COUNTDOWN_S)
            return "yielded"
        result = execute_job(
            uuid.UUID(job_id),
            engine=get_engine(settings),
            settings=settings,
            background=background_if_built(settings),
            worker=f"celery@{socket.gethostname()}",
            stale_after_s=settings.job_stale_after_s,
        )
        if result.outcome in (Outcome.RETRY, Outcome.NOT_DUE):
            # A new task, due when the job is: this one is acknowledged and done.
            enqueue(uuid.UUID(job_id), settings, countdown=result.retry_in)
        elif result.outcome is Outcome.BUSY:
            # Another claimant holds it: alive (then it finishes and this check ends), or dead
            # (then its heartbeat goes stale and the next try takes over). Check again later.
            raise self.retry(countdown=settings.job_stale_after_s)
        return result.outcome.value

    return app


def app_for(settings: Settings) -> Celery:
    assert settings.broker_url, "no broker configured"
    return celery_app(settings.broker_url, settings.job_visibility_timeout_s)


def enqueue(job_id: uuid.UUID, settings: Settings, countdown: float = 0.0) -> None:
    """Send the job to the workers, to run ``countdown`` seconds from now (0: at once)."""
    app_for(settings).send_task(
        RUN_JOB_TASK, args=[str(job_id)], queue=QUEUE, countdown=countdown or None
    )


def run_worker(
    settings: Settings,
    concurrency: int = 1,
    on_process_start: Callable[[], None] | None = None,
) -> None:
    """Block running a Celery worker on the jobs queue (SIGTERM: finish the current job, stop).

    ``on_process_start`` runs in each pool process, not in the parent that forks them (a thread
    alive across a fork can leave locks held in the child): the worker command starts the
    sweeper there.
    """
    if on_process_start is not None:
        start = on_process_start

        def started(**_: Any) -> None:
            start()

        worker_process_init.connect(started, weak=False)
    app_for(settings).worker_main(
        [
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--queues={QUEUE}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
