"""Jobs: work that outlives its request. Rows record state, progress and outcome; the
in-process pool or Celery workers (app.jobs.submit.submit_job) execute them, and the sweeper
(app.jobs.sweeper) submits again what a restart left behind.

A runner may raise :class:`RetryLater`: the job goes back to ``queued`` with ``run_after`` set,
its claim released and the reason kept in ``error``; after the kind's maximum attempts it ends
``failed``. Runners must be idempotent: a job may run again after a crash."""

from __future__ import annotations

import enum
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from app.access.models import Organisation
from app.core.db import session_scope
from app.core.errors import TooManyRequests
from app.core.models import utc_now
from app.core.observability import JOB_SECONDS, current_request_id, request_id_context
from app.core.repository import OrgRepository
from app.core.runtime import get_background
from app.core.settings import Settings, get_settings
from app.jobs.models import Job
from app.jobs.schemas import JobPublic
from lca.background import Background

logger = logging.getLogger("cellcarbon.jobs")
UNCERTAINTY = "footprint.uncertainty"
FOOTPRINT = "footprint.compute"
REPORT = "report.render"
PACT_FULFIL = "pact.fulfil"
WEBHOOK_DELIVER = "webhook.deliver"
BACKGROUND_IMPORT = "background.import"
# Progress is written at most this often, so a fast job does not hammer the database.
PROGRESS_INTERVAL_S = 0.5
# Kinds that do not say otherwise are retried at most this often (only if they ask to be).
DEFAULT_MAX_ATTEMPTS = 5
# The kinds clients ask for, which the per-organisation limits count; follow-up work (webhook
# deliveries, PACT replies) is the service's own and is not held against the organisation.
REQUESTED_KINDS = (FOOTPRINT, UNCERTAINTY, REPORT, BACKGROUND_IMPORT)
# What a refused client is told to wait: about one short job's run; a guess, not a promise.
LIMIT_RETRY_AFTER_S = 30


def create_job(
    repo: OrgRepository,
    kind: str,
    subject_id: uuid.UUID,
    params: dict[str, Any],
    settings: Settings | None = None,
) -> Job:
    """A queued job asked for through the API: audited as the caller's action. Refused with 429
    (nothing stored) when the organisation already has its share of unfinished jobs or Monte
    Carlo iterations."""
    check_job_limits(repo, kind, params, settings or get_settings())
    job = new_job(repo.session, repo.organisation_id, kind, subject_id, params)
    repo.audit("create", "job", job.id, params, kind=kind, subject=str(subject_id))
    return job


def check_job_limits(
    repo: OrgRepository, kind: str, params: dict[str, Any], settings: Settings
) -> None:
    """429 when one more job of ``kind`` would take the organisation past
    ``max_queued_jobs_per_org`` unfinished jobs or ``max_mc_iterations_per_org`` Monte Carlo
    iterations queued or running: one organisation's flood must not hold everyone's workers."""
    # Serialise the check per organisation on PostgreSQL (a row lock held to commit), so two
    # concurrent requests cannot both take the last place; SQLite serialises writers itself.
    repo.session.exec(
        select_rows(Organisation.id)
        .where(Organisation.id == repo.organisation_id)
        .with_for_update()
    ).first()
    unfinished = repo.session.exec(
        select_rows(col(Job.kind), col(Job.params)).where(
            col(Job.organisation_id) == repo.organisation_id,
            col(Job.status).in_(("queued", "running")),
            col(Job.kind).in_(REQUESTED_KINDS),
        )
    ).all()
    headers = {"Retry-After": str(LIMIT_RETRY_AFTER_S)}
    if len(unfinished) + 1 > settings.max_queued_jobs_per_org:
        raise TooManyRequests(
            f"this organisation has {len(unfinished)} unfinished jobs, the most it may have "
            f"({settings.max_queued_jobs_per_org}); ask again when some have finished",
            headers=headers,
        )
    if kind != UNCERTAINTY:
        return
    in_flight = sum(int(p.get("iterations", 0)) for k, p in unfinished if k == UNCERTAINTY)
    wanted = int(params.get("iterations", 0))
    if in_flight + wanted > settings.max_mc_iterations_per_org:
        raise TooManyRequests(
            f"{wanted} more Monte Carlo iterations would make {in_flight + wanted} queued or "
            f"running for this organisation, more than the {settings.max_mc_iterations_per_org} "
            "allowed; ask again when some have finished",
            headers=headers,
        )


def new_job(
    session: Session,
    organisation_id: uuid.UUID,
    kind: str,
    subject_id: uuid.UUID | None,
    params: dict[str, Any],
) -> Job:
    """A queued job in ``session`` (the service's own follow-up work, e.g. a webhook delivery):
    it exists once the session commits, and not at all if it rolls back."""
    job = Job(
        organisation_id=organisation_id,
        kind=kind,
        subject_id=subject_id,
        params=params,
        request_id=current_request_id(),
    )
    session.add(job)
    session.flush()
    return job


def job_public(job: Job) -> JobPublic:
    return JobPublic.model_validate(job, from_attributes=True)


class RetryLater(Exception):  # noqa: N818 (an instruction to the runner, not an error)
    """The job cannot finish now (a receiver is down): queue it again in ``seconds``."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = max(0.0, float(seconds))
        self.reason = reason


class JobFailed(Exception):  # noqa: N818 (an outcome, like RetryLater)
    """The job ends failed for a reason the client can act on; ``result`` (stored with the
    failed job) says what to fix, e.g. every problem an import found."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


class JobLost(RuntimeError):
    """Another worker took over this job (ours was thought dead): stop, store nothing."""


@dataclass
class JobContext:
    """What a runner gets: the job's row fields, its attempt, and the process's resources."""

    job_id: uuid.UUID
    kind: str
    organisation_id: uuid.UUID
    subject_id: uuid.UUID | None
    params: dict[str, Any]
    attempt: int  # 1 on the first run; counts every claim, crashed ones included
    max_attempts: int
    engine: Engine
    settings: Settings
    progress: Callable[[int, int], None]
    loaded_background: Background | None = None

    @property
    def final_attempt(self) -> bool:
        """A RetryLater now would end the job failed: a runner records its own give-up first."""
        return self.attempt >= self.max_attempts

    @property
    def background(self) -> Background:
        # Loaded on first use: a webhook delivery must not need the LCA background.
        if self.loaded_background is None:
            self.loaded_background = get_background(self.settings)
        return self.loaded_background


Runner = Callable[[JobContext], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    runner: Runner
    max_attempts: Callable[[Settings], int] = lambda _: DEFAULT_MAX_ATTEMPTS


_KINDS: dict[str, JobKind] = {}


def register_job_kind(
    kind: str, runner: Runner, max_attempts: Callable[[Settings], int] | None = None
) -> None:
    """Make ``kind`` runnable: each slice registers its runners when it is imported (the queue
    knows no slice; app.job_kinds imports them all)."""
    _KINDS[kind] = JobKind(runner, max_attempts or (lambda _: DEFAULT_MAX_ATTEMPTS))


def job_kinds() -> dict[str, JobKind]:
    """Every registered kind and its runner."""
    return _KINDS


class Outcome(enum.Enum):
    RAN = "ran"  # ran to an outcome: succeeded or failed
    RETRY = "retry"  # ran, and asked to be run again in ``retry_in`` seconds
    NOT_DUE = "not due"  # queued, but not before ``retry_in`` seconds from now
    BUSY = "busy"  # another claimant holds it
    FINISHED = "finished"  # it had already ended


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    retry_in: float = 0.0


def claim(engine: Engine, job_id: uuid.UUID, worker: str, stale_after_s: float) -> str | None:
    """Atomically take a queued job that is due, or a running one whose claimant stopped beating.

    One UPDATE with the condition in its WHERE clause: of two workers racing, exactly one sees
    a row changed. Returns the claim token, or None when the job is not ours to run.
    """
    token = uuid.uuid4().hex
    now = utc_now()
    stale = now - timedelta(seconds=stale_after_s)
    statement = (
        update(Job)
        .where(
            col(Job.id) == job_id,
            or_(
                and_(
                    col(Job.status) == "queued",
                    or_(col(Job.run_after).is_(None), col(Job.run_after) <= now),
                ),
                and_(col(Job.status) == "running", col(Job.heartbeat_at) < stale),
            ),
        )
        .values(
            status="running",
            claim_token=token,
            worker=worker[:200],
            heartbeat_at=now,
            started_at=func.coalesce(col(Job.started_at), now),
            attempts=col(Job.attempts) + 1,
        )
    )
    with engine.begin() as connection:
        claimed = connection.execute(statement).rowcount == 1
    return token if claimed else None


def yields_turn(engine: Engine, job_id: uuid.UUID) -> bool:
    """Whether this queued job should let another organisation's go first: one that has a job
    queued and due, and fewer jobs running than this job's organisation, or as many and its
    last job started longer ago (never counts as longest). Celery workers take tasks first
    come, first served; a worker that defers such a job (sends it again a moment later) moves
    the other organisations' tasks up to the front of a flood. The order is strict, so of two
    organisations waiting for each other one always goes: everyone keeps making progress."""
    now = utc_now()
    with engine.connect() as connection:
        row = connection.execute(
            select(col(Job.organisation_id), col(Job.status)).where(col(Job.id) == job_id)
        ).first()
        if row is None or row.status != "queued":
            return False
        mine = row.organisation_id
        waiting = set(
            connection.execute(
                select(col(Job.organisation_id))
                .where(
                    col(Job.status) == "queued",
                    col(Job.organisation_id) != mine,
                    or_(col(Job.run_after).is_(None), col(Job.run_after) <= now),
                )
                .distinct()
            ).scalars()
        )
        if not waiting:
            return False
        involved = [mine, *waiting]
        running = dict(
            connection.execute(
                select(col(Job.organisation_id), func.count())
                .where(col(Job.status) == "running", col(Job.organisation_id).in_(involved))
                .group_by(col(Job.organisation_id))
            ).all()
        )
        last_started = dict(
            connection.execute(
                select(col(Job.organisation_id), func.max(col(Job.started_at)))
                .where(col(Job.organisation_id).in_(involved))
                .group_by(col(Job.organisation_id))
            ).all()
        )

    def turn(organisation_id: uuid.UUID) -> tuple[int, float]:
        started = last_started.get(organisation_id)
        return (
            int(running.get(organisation_id, 0)),
            started.timestamp() if started is not None else float("-inf"),
        )

    return any(turn(other) < turn(mine) for other in waiting)


def is_pending(engine: Engine, job_id: uuid.UUID) -> bool:
    """Whether the job still waits for an outcome (queued, or running under some claimant)."""
    with engine.connect() as connection:
        status = connection.execute(select(col(Job.status)).where(col(Job.id) == job_id)).scalar()
    return status in ("queued", "running")


def _unclaimed(engine: Engine, job_id: uuid.UUID) -> RunResult:
    """Why a claim failed: finished, held by someone, or queued for later."""
    with engine.connect() as connection:
        row = connection.execute(
            select(col(Job.status), col(Job.run_after)).where(col(Job.id) == job_id)
        ).first()
    if row is None or row.status not in ("queued", "running"):
        return RunResult(Outcome.FINISHED)
    if row.status == "queued" and row.run_after is not None:
        run_after = row.run_after
        if run_after.tzinfo is None:  # SQLite returns naive UTC
            run_after = run_after.replace(tzinfo=utc_now().tzinfo)
        wait = (run_after - utc_now()).total_seconds()
        if wait > 0:
            return RunResult(Outcome.NOT_DUE, wait)
    return RunResult(Outcome.BUSY)


def _owned(job_id: uuid.UUID, token: str) -> Any:
    return and_(col(Job.id) == job_id, col(Job.claim_token) == token, col(Job.status) == "running")


def run_job(
    job_id: uuid.UUID,
    *,
    engine: Engine,
    background: Background | None = None,
    settings: Settings | None = None,
    worker: str = "in-process",
    stale_after_s: float = 60.0,
) -> bool:
    """Run one job if this worker can claim it; True if it ran (to an outcome, or to a retry).

    Safe to call twice, from two processes, or again after a crash: only the current claimant
    stores the outcome, and runners are idempotent (a footprint job's footprint has a fixed id).
    False means someone else holds it (see :func:`is_pending`), it is not due, or it is finished.
    """
    result = execute_job(
        job_id,
        engine=engine,
        background=background,
        settings=settings,
        worker=worker,
        stale_after_s=stale_after_s,
    )
    return result.outcome in (Outcome.RAN, Outcome.RETRY)


def execute_job(
    job_id: uuid.UUID,
    *,
    engine: Engine,
    background: Background | None = None,
    settings: Settings | None = None,
    worker: str = "in-process",
    stale_after_s: float = 60.0,
) -> RunResult:
    """:func:`run_job`, saying what happened so the caller can schedule the next run."""
    token = claim(engine, job_id, worker, stale_after_s)
    if token is None:
        return _unclaimed(engine, job_id)
    settings = settings or get_settings()
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        kind = job.kind
        known = job_kinds().get(kind)
        context = JobContext(
            job_id=job_id,
            kind=kind,
            organisation_id=job.organisation_id,
            subject_id=job.subject_id,
            params=dict(job.params),
            attempt=job.attempts,
            max_attempts=known.max_attempts(settings) if known else 1,
            engine=engine,
            settings=settings,
            progress=_progress_writer(engine, job_id, token),
            loaded_background=background,
        )
        request_id = job.request_id
    # The job's logs, and the webhook and PACT calls it makes, carry the id of the request that
    # caused it.
    with request_id_context(request_id):
        return _run_claimed(engine, job_id, token, known, context, stale_after_s)


def _run_claimed(
    engine: Engine,
    job_id: uuid.UUID,
    token: str,
    known: JobKind | None,
    context: JobContext,
    stale_after_s: float,
) -> RunResult:
    kind = context.kind
    started = time.monotonic()
    try:
        if known is None:
            raise LookupError(f"unknown job kind {kind!r}")
        with _heartbeat(engine, job_id, token, stale_after_s):
            result = known.runner(context)
    except JobLost:
        logger.warning("job %s was taken over by another worker; its outcome is theirs", job_id)
        return RunResult(Outcome.BUSY)
    except JobFailed as failed:
        _finish(
            engine, job_id, token, status="failed", error=str(failed)[:2000], result=failed.result
        )
        JOB_SECONDS.labels(kind, "failed").observe(time.monotonic() - started)
        return RunResult(Outcome.RAN)
    except RetryLater as retry:
        if context.final_attempt:
            error = f"gave up after {context.attempt} attempts: {retry.reason}"
            _finish(engine, job_id, token, status="failed", error=error[:2000])
            JOB_SECONDS.labels(kind, "failed").observe(time.monotonic() - started)
            return RunResult(Outcome.RAN)
        JOB_SECONDS.labels(kind, "retry").observe(time.monotonic() - started)
        if not _requeue(engine, job_id, token, retry):
            return RunResult(Outcome.BUSY)
        logger.info("job %s (%s) retries in %.1f s: %s", job_id, kind, retry.seconds, retry.reason)
        return RunResult(Outcome.RETRY, retry.seconds)
    except Exception as exc:  # any failure is the job's outcome, recorded for the client
        logger.exception("job %s failed", job_id)
        _finish(
            engine, job_id, token, status="failed", error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        JOB_SECONDS.labels(kind, "failed").observe(time.monotonic() - started)
        return RunResult(Outcome.RAN)
    stored = _finish(
        engine, job_id, token, status="succeeded", result=result, progress=1.0, error=None
    )
    JOB_SECONDS.labels(kind, "succeeded").observe(time.monotonic() - started)
    return RunResult(Outcome.RAN if stored else Outcome.BUSY)


def _requeue(engine: Engine, job_id: uuid.UUID, token: str, retry: RetryLater) -> bool:
    """Back to queued, due in ``retry.seconds``, claim released, reason kept for the client."""
    statement = (
        update(Job)
        .where(_owned(job_id, token))
        .values(
            status="queued",
            run_after=utc_now() + timedelta(seconds=retry.seconds),
            error=retry.reason[:2000],
            claim_token=None,
            worker=None,
            heartbeat_at=None,
        )
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def _finish(engine: Engine, job_id: uuid.UUID, token: str, **fields: Any) -> bool:
    """Store the outcome if we still hold the claim; False if another worker took over."""
    statement = update(Job).where(_owned(job_id, token)).values(finished_at=utc_now(), **fields)
    with engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


@contextmanager
def _heartbeat(
    engine: Engine, job_id: uuid.UUID, token: str, stale_after_s: float
) -> Iterator[None]:
    """Beat the job's heartbeat from a side thread while the runner works, several times per
    stale period: a runner that blocks (a slow receiver, a long report) without reporting
    progress must not look dead and be run a second time elsewhere."""
    stop = threading.Event()
    interval = max(stale_after_s / 4, 0.05)

    def beat() -> None:
        while not stop.wait(interval):
            statement = update(Job).where(_owned(job_id, token)).values(heartbeat_at=utc_now())
            try:
                with engine.begin() as connection:
                    if connection.execute(statement).rowcount != 1:
                        return  # the claim is gone: the outcome will not be ours to store
            except Exception:  # a missed beat is retried on the next tick
                logger.warning("heartbeat of job %s failed", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _progress_writer(engine: Engine, job_id: uuid.UUID, token: str) -> Callable[[int, int], None]:
    """Progress and heartbeat in one write, at most every PROGRESS_INTERVAL_S; raises JobLost
    when the claim is no longer ours, so a presumed-dead worker stops early."""
    last = 0.0

    def write(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_INTERVAL_S and done < total:
            return
        last = now
        statement = (
            update(Job)
            .where(_owned(job_id, token))
            .values(progress=done / total, heartbeat_at=utc_now())
        )
        with engine.begin() as connection:
            if connection.execute(statement).rowcount != 1:
                raise JobLost(str(job_id))

    return write
