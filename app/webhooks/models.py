"""Tables of webhooks: the endpoints an organisation registered, each event's delivery to one
endpoint, and every attempt at that delivery (the log a customer reads when a hook misbehaves)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import OrgRow, _timestamp


class WebhookEndpoint(OrgRow, table=True):
    """A URL that receives the organisation's events of the listed types.

    The signing secret is kept in clear: the service must produce HMACs with it on every
    delivery, so a one-way hash (as for API keys) cannot work. Deleting an endpoint sets
    ``deleted_at``; the row stays for its delivery log.
    """

    __tablename__ = "webhook_endpoint"

    url: str = Field(max_length=2000)
    event_types: list[str] = Field(sa_column=Column(JSON, nullable=False))
    description: str | None = Field(default=None, max_length=200)
    secret: str = Field(max_length=100)
    deleted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class WebhookDelivery(OrgRow, table=True):
    """One event sent (or to be sent) to one endpoint; its body is fixed when the event happens."""

    __tablename__ = "webhook_delivery"

    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id", index=True)
    event_id: uuid.UUID
    event_type: str = Field(max_length=60)
    body: str
    status: str = Field(default="pending", max_length=16)  # pending|succeeded|failed
    attempts: int = 0
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery: the receiver's status code, or why there was none."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    delivery_id: uuid.UUID = Field(foreign_key="webhook_delivery.id", index=True)
    number: int
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: float
    started_at: datetime = _timestamp()
