"""Tables of the reports slice: rendered report files."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field

from app.core.models import OrgRow


class ReportFile(OrgRow, table=True):
    """A report rendered by a job and kept for download: the exact bytes, and their SHA-256
    (the download's ETag). Immutable."""

    __tablename__ = "report_file"

    footprint_id: uuid.UUID = Field(foreign_key="footprint.id", index=True)
    kind: str = Field(max_length=20)  # report | declaration
    format: str = Field(max_length=10)  # json | csv | xlsx | pdf
    media_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
