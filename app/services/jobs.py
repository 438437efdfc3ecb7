"""Jobs: work that outlives its request. Rows record state and progress; the in-process runner
executes them on a small thread pool (a broker-backed runner can take over the same functions)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy.engine import Engine

from app.db import session_scope
from app.models import Bom, Footprint, Job, utc_now
from app.observability import JOB_SECONDS
from app.repository import OrgRepository
from app.schemas import JobPublic
from app.services.footprints import cell_model, stored_request
from lca.background import Background
from lca.footprint import STAGE_MATERIALS
from lca.montecarlo import monte_carlo

logger = logging.getLogger("cellcarbon.jobs")
UNCERTAINTY = "footprint.uncertainty"
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


def run_job(job_id: uuid.UUID, *, engine: Engine, background: Background) -> None:
    """Run one queued job to completion, recording success or failure on its row."""
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status != "queued":
            return  # already taken (or gone): running it twice would duplicate its work
        job.status, job.started_at = "running", utc_now()
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
            _progress_writer(engine, job_id),
        )
    except Exception as exc:  # any failure is the job's outcome, recorded for the client
        logger.exception("job %s failed", job_id)
        _finish(engine, job_id, status="failed", error=f"{exc.__class__.__name__}: {exc}"[:2000])
        JOB_SECONDS.labels(kind, "failed").observe(time.monotonic() - started)
        return
    _finish(engine, job_id, status="succeeded", result=result)
    JOB_SECONDS.labels(kind, "succeeded").observe(time.monotonic() - started)


def _finish(engine: Engine, job_id: uuid.UUID, **fields: Any) -> None:
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        for name, value in fields.items():
            setattr(job, name, value)
        if fields.get("status") == "succeeded":
            job.progress = 1.0
        job.finished_at = utc_now()


def _progress_writer(engine: Engine, job_id: uuid.UUID) -> Callable[[int, int], None]:
    last = 0.0

    def write(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_INTERVAL_S and done < total:
            return
        last = now
        with session_scope(engine) as session:
            job = session.get(Job, job_id)
            if job is not None:
                job.progress = done / total

    return write


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


_RUNNERS = {UNCERTAINTY: _run_uncertainty}
