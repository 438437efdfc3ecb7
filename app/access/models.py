"""Tables of access control: organisations and their API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from app.core.models import OrgRow, _timestamp


class ApiKey(OrgRow, table=True):
    """An organisation's API key. Only a salted SHA-256 of the secret is kept; the prefix finds
    the row without revealing the secret."""

    __tablename__ = "api_key"

    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, unique=True)
    salt: str = Field(max_length=64)
    secret_sha256: str = Field(max_length=64)
    scopes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    supplier_id: uuid.UUID | None = Field(default=None, foreign_key="supplier.id")
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Organisation(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime = _timestamp()
