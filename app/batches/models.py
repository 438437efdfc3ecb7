"""Tables of the batch slice: a kept batch answer (``?store=true``). Immutable."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from app.core.models import _timestamp


class FootprintBatch(SQLModel, table=True):
    """The NDJSON answer of one batch, kept for download as NDJSON, CSV or XLSX."""

    __tablename__ = "footprint_batch"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    base_bom_id: uuid.UUID | None = Field(default=None, description="null for an inline base")
    background_version: str = Field(max_length=64)
    request_sha256: str = Field(max_length=64)
    variants: int
    invalid: int
    answer: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the NDJSON body
    created_at: datetime = _timestamp()
