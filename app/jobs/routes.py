from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.access.deps import RepoDep
from app.jobs.models import Job
from app.jobs.queue import job_public
from app.jobs.schemas import JobPublic

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobPublic)
def get_job(job_id: uuid.UUID, repo: RepoDep) -> JobPublic:
    """A job's state (queued, running, succeeded, failed), progress and result or error."""
    return job_public(repo.get(Job, job_id, "job"))
