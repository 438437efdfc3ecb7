"""Jobs: work that outlives its request. Rows record state and progress; the in-process runner
executes them on a small thread pool (a broker-backed runner can take over the same functions)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.db import session_scope
from app.models import Bom, Footprint, Job, utc_now
from app.observability import JOB_SECONDS
from app.report_schemas import FootprintRequest
from app.repository import OrgRepository
from app.schemas import JobPublic
from app.services.footprints import cell_model, compute_footprint, stored_request
from lca.background import Background
from lca.footprint import STAGE_MATERIALS
from lca.montecarlo import monte_carlo

logger = logging.getLogger("cellcarbon.jobs")
UNCERTAINTY = "footprint.uncertainty"
FOOTPRINT = "footprint.compute"
# Progress is written at most this often, so a fast job does not hammer the database.
PROGRESS_INTERVAL_S = 0.5


def create_job(
    repo: OrgRepository, kind: str, subject_id: uuid.UUID, params: dict[str, Any]
) -> Job:
    job = Job(organisation_id=repo.organisation_id, kind=kind, subject_id=subject_id, params=params)
    repo.add(job)
    repo.session.flush()
    repo.audit("create", "job", job.id, params, kind=kind, subject=str(subject_id))
    return job


def job_public(job: Job) -> JobPublic:
    return JobPublic.model_validate(job, from_attributes=True)


class JobLost(RuntimeError):
    """Another worker took over this job (ours was thought dead): stop, store nothing."""


def claim(engine: Engine, job_id: uuid.UUID, worker: str, stale_after_s: float) -> str | None:
    """Atomically take a queued job, or a running one whose claimant stopped beating.

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
                col(Job.status) == "queued",
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


def is_pending(engine: Engine, job_id: uuid.UUID) -> bool:
    """Whether the job still waits for an outcome (queued, or running under some claimant)."""
    with engine.connect() as connection:
        status = connection.execute(select(Job.status).where(col(Job.id) == job_id)).scalar()
    return status in ("queued", "running")


def _owned(job_id: uuid.UUID, token: str) -> Any:
    return and_(col(Job.id) == job_id, col(Job.claim_token) == token, col(Job.status) == "running")


def run_job(
    job_id: uuid.UUID,
    *,
    engine: Engine,
    background: Background,
    worker: str = "in-process",
    stale_after_s: float = 60.0,
) -> bool:
    """Run one job to completion if this worker can claim it; True if it ran to an outcome.

    Safe to call twice, from two processes, or again after a crash: only the current claimant
    stores the outcome, and runners are idempotent (a footprint job's footprint has a fixed id).
    False means someone else holds it (see :func:`is_pending`) or it is finished.
    """
    token = claim(engine, job_id, worker, stale_after_s)
    if token is None:
        return False
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        kind, params = job.kind, dict(job.params)
        organisation_id, subject_id = job.organisation_id, job.subject_id
    started = time.monotonic()
    try:
        runner = _RUNNERS[kind]
        result = runner(
            organisation_id,
            subject_id,
            params,
            engine,
            background,
            _progress_writer(engine, job_id, token),
        )
    except JobLost:
        logger.warning("job %s was taken over by another worker; its outcome is theirs", job_id)
        return False
    except Exception as exc:  # any failure is the job's outcome, recorded for the client
        logger.exception("job %s failed", job_id)
        stored = _finish(
            engine, job_id, token, status="failed", error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        JOB_SECONDS.labels(kind, "failed").observe(time.monotonic() - started)
        return stored
    stored = _finish(engine, job_id, token, status="succeeded", result=result, progress=1.0)
    JOB_SECONDS.labels(kind, "succeeded").observe(time.monotonic() - started)
    return stored


def _finish(engine: Engine, job_id: uuid.UUID, token: str, **fields: Any) -> bool:
    """Store the outcome if we still hold the claim; False if another worker took over."""
    statement = update(Job).where(_owned(job_id, token)).values(finished_at=utc_now(), **fields)
    with engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


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


def _run_footprint(
    organisation_id: uuid.UUID,
    bom_id: uuid.UUID | None,
    params: dict[str, Any],
    engine: Engine,
    background: Background,
    progress: Callable[[int, int], None],
) -> dict[str, Any]:
    """Compute a BOM's footprint under the id fixed when the job was created: a re-run after a
    crash finds it stored and does not create a second one."""
    assert bom_id is not None
    footprint_id = uuid.UUID(params["footprint_id"])
    with session_scope(engine) as session:
        existing = session.get(Footprint, footprint_id)
    if existing is None:
        request = (
            FootprintRequest.model_validate(params["request"]) if params.get("request") else None
        )
        try:
            compute_footprint(
                bom_id,
                organisation_id,
                engine=engine,
                background=background,
                actor=params.get("actor", "job"),
                request=request,
                footprint_id=footprint_id,
            )
        except IntegrityError:
            pass  # a concurrent run stored it first: the same footprint, stored once
    progress(1, 1)
    return {"footprint_id": str(footprint_id)}


def _run_uncertainty(
    organisation_id: uuid.UUID,
    footprint_id: uuid.UUID | None,
    params: dict[str, Any],
    engine: Engine,
    background: Background,
    progress: Callable[[int, int], None],
) -> dict[str, Any]:
    assert footprint_id is not None
    with session_scope(engine) as session:
        repo = OrgRepository(session, organisation_id)
        footprint = repo.get(Footprint, footprint_id, "footprint")
        if footprint.background_version != background.version:
            raise ValueError(
                f"footprint was computed on background {footprint.background_version[:12]}, "
                f"the service runs {background.version[:12]}"
            )
        model = cell_model(
            repo,
            repo.get(Bom, footprint.bom_id, "BOM"),
            background,
            stored_request(footprint.result),
        )
    inputs = model.location_inputs
    gsd = params.get("foreground_gsd")
    result = monte_carlo(
        background,
        inputs,
        processes=model.location_processes,
        iterations=params["iterations"],
        seed=params["seed"],
        background_uncertainty=params["background"],
        # The gsd applies to BOM lines; plant energy is measured, so it stays fixed.
        foreground_gsd=[gsd if i.stage == STAGE_MATERIALS else None for i in inputs],
        progress=progress,
    )
    return {"footprint_id": str(footprint_id), "unit": "kg CO2e per cell", **asdict(result)}


_RUNNERS = {UNCERTAINTY: _run_uncertainty, FOOTPRINT: _run_footprint}
