from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.api.deps import RepoDep
from app.models import Job
from app.schemas import JobPublic
from app.services.jobs import job_public

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobPublic)
def get_job(job_id: uuid.UUID, repo: RepoDep) -> JobPublic:
    """A job's state (queued, running, succeeded, failed), progress and result or error."""
    return job_public(repo.get(Job, job_id, "job"))
