"""Request and response bodies of ``/v1/webhooks``."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from app.core.schemas import Strict, UtcDatetime

EventType = Literal[
    "footprint.completed", "report.ready", "pact.request.fulfilled", "lot.footprint.ready"
]


class WebhookCreate(Strict):
    url: str = Field(min_length=1, max_length=2000, examples=["https://erp.example.com/hooks"])
    event_types: list[EventType] = Field(min_length=1, max_length=4)
    description: str | None = Field(default=None, max_length=200)


class WebhookPublic(BaseModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    created_at: UtcDatetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="signing secret (HMAC-SHA256 key); shown only in this response")


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


class AttemptPublic(BaseModel):
    number: int
    status_code: int | None = Field(description="the receiver's HTTP status; null if none")
    error: str | None
    duration_ms: float
    started_at: UtcDatetime


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str = Field(description="pending, succeeded or failed")
    attempts: list[AttemptPublic]
    created_at: UtcDatetime
    finished_at: UtcDatetime | None


class DeliveriesPublic(BaseModel):
    data: list[DeliveryPublic]
    count: int
