"""PACT tables: customer clients and their tokens, footprints shared with them, the event log.

``organisation_id`` is always the data owner (the organisation whose footprints are published);
a client's customer is an organisation of its own, ``customer_organisation_id``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import OrgRow, _timestamp


class PactClient(OrgRow, table=True):
    """OAuth2 client credentials of one customer. Only a SHA-256 of the secret is stored."""

    __tablename__ = "pact_client"

    customer_organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    secret_sha256: str = Field(max_length=64)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PactToken(SQLModel, table=True):
    """An issued bearer token, stored as its SHA-256 so a database dump grants no access."""

    __tablename__ = "pact_token"

    token_sha256: str = Field(primary_key=True, max_length=64)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    client_id: uuid.UUID = Field(foreign_key="pact_client.id", index=True)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    created_at: datetime = _timestamp()


class PactShare(SQLModel, table=True):
    """A footprint the data owner publishes to one client."""

    __tablename__ = "pact_share"
    __table_args__ = (UniqueConstraint("client_id", "footprint_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    client_id: uuid.UUID = Field(foreign_key="pact_client.id", index=True)
    footprint_id: uuid.UUID = Field(foreign_key="footprint.id", index=True)
    created_at: datetime = _timestamp()


class PactEvent(OrgRow, table=True):
    """A CloudEvent received on /3/events and, for requests, the reply and its delivery."""

    __tablename__ = "pact_event"

    client_id: uuid.UUID = Field(foreign_key="pact_client.id", index=True)
    event_id: str = Field(max_length=200)
    event_type: str = Field(max_length=200)
    source: str = Field(max_length=1000)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # received | pending | delivered | failed (the last three for requests that need a reply)
    status: str = Field(default="received", max_length=16)
    reply: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PactSharingRule(OrgRow, table=True):
    """Every footprint of one BOM (cell model) stored from now on is shared with one client."""

    __tablename__ = "pact_sharing_rule"

    client_id: uuid.UUID = Field(foreign_key="pact_client.id", index=True)
    bom_id: uuid.UUID = Field(foreign_key="bom.id", index=True)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
