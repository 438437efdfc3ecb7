"""Response bodies of the job routes."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from app.core.schemas import UtcDatetime


class JobPublic(BaseModel):
    id: uuid.UUID
    kind: str
    status: str = Field(description="queued, running, succeeded or failed")
    progress: float
    subject_id: uuid.UUID | None
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    attempts: int = Field(description="runs started so far (a retried job counts each)")
    run_after: UtcDatetime | None = Field(
        description="a queued job waiting to be retried does not run before this time"
    )
    request_id: str | None = Field(
        description="X-Request-ID of the request that caused the job; its logs and the "
        "webhook and PACT calls it makes carry the same id"
    )
