"""Tables of the backgrounds slice: an organisation's imported backgrounds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field

from app.core.models import OrgRow


class ImportedBackground(OrgRow, table=True):
    """A background an organisation imported (licensed data: only it sees or computes on it).

    The Brightway directory is ``<settings.backgrounds_root>/<version>``; one organisation
    importing the same source twice gets the same row back. ``mapping`` holds the material
    code → activity code entries (replaced whole by PUT …/mapping).
    """

    __tablename__ = "imported_background"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)

    name: str = Field(max_length=200)
    version: str = Field(max_length=64)  # SHA-256 of the source bytes and data/method/
    source_format: str = Field(max_length=40)
    size_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))  # the upload
    activities: int
    exchanges: int
    biosphere_flows: int
    status: str = Field(default="ready", max_length=16)
    method_coverage: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    warnings: list[str] = Field(sa_column=Column(JSON, nullable=False))
    mapping: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
