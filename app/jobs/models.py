"""Tables of the job queue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field

from app.core.models import OrgRow


class Job(OrgRow, table=True):
    """Work done outside the request: its state, progress and outcome."""

    # The sweeper's one query per tick: queued jobs that are due, running ones gone quiet; and
    # the fair-turn check of Celery workers: when each organisation last started a job.
    __table_args__ = (
        Index("ix_job_status_run_after", "status", "run_after"),
        Index("ix_job_organisation_started", "organisation_id", "started_at"),
    )

    kind: str = Field(max_length=40)
    status: str = Field(default="queued", max_length=16)  # queued|running|succeeded|failed
    progress: float = 0.0
    subject_id: uuid.UUID | None = Field(default=None, index=True)
    params: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = Field(default=None, max_length=2000)
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Execution bookkeeping: a worker claims the job atomically (claim_token), proves it is alive
    # (heartbeat_at), and only the current claimant may store the outcome. A job whose claimant
    # stopped beating (crashed worker) may be claimed again.
    attempts: int = 0
    claim_token: str | None = Field(default=None, max_length=32)
    worker: str | None = Field(default=None, max_length=200)
    # While the job is queued, heartbeat_at is when a sweeper last resubmitted it (see
    # app/services/sweeper.py); a claim overwrites it.
    heartbeat_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The X-Request-ID of the request that caused this job: its logs and outgoing calls carry it.
    request_id: str | None = Field(default=None, max_length=100)
    # "Not before": a job that asked to be retried later waits queued until then (null: now).
    run_after: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
