"""SQL tables. Every business table carries ``organisation_id``; rows are immutable once written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp() -> Any:
    return Field(default_factory=utc_now, sa_type=DateTime(timezone=True), nullable=False)


class Organisation(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime = _timestamp()


class Bom(SQLModel, table=True):
    """A cell's bill of materials as posted, plus its canonical (converted) cell and plant data."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    chemistry: str = Field(max_length=40)
    cell_format: str = Field(max_length=40)
    nominal_capacity_ah: float
    nominal_voltage_v: float
    nominal_energy_kwh: float
    cell_mass_kg: float | None = None
    plant_name: str = Field(max_length=200)
    grid_region: str = Field(max_length=40)
    electricity_kwh: float
    heat_mj: float
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    payload_sha256: str = Field(max_length=64)
    created_at: datetime = _timestamp()


class BomLine(SQLModel, table=True):
    __tablename__ = "bom_line"
    __table_args__ = (UniqueConstraint("bom_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    bom_id: uuid.UUID = Field(foreign_key="bom.id", index=True)
    position: int
    component: str = Field(max_length=80)
    material: str = Field(max_length=80)
    amount_given: str = Field(max_length=64)
    amount: float
    unit: str = Field(max_length=16)
    supplier: str | None = Field(default=None, max_length=80)
    source: str | None = Field(default=None, max_length=1000)


class Footprint(SQLModel, table=True):
    """A computed footprint of one BOM on one background version. Immutable."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    bom_id: uuid.UUID = Field(foreign_key="bom.id", index=True)
    background_name: str = Field(max_length=100)
    background_version: str = Field(max_length=64)
    method: str = Field(max_length=100)
    software_version: str = Field(max_length=40)
    input_sha256: str = Field(max_length=64)
    kg_co2e: float
    kg_co2e_per_kwh: float
    kg_co2e_gwp20: float
    nominal_energy_kwh: float
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _timestamp()


class Job(SQLModel, table=True):
    """Work done outside the request: its state, progress and outcome."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(max_length=40)
    status: str = Field(default="queued", max_length=16)  # queued|running|succeeded|failed
    progress: float = 0.0
    subject_id: uuid.UUID | None = Field(default=None, index=True)
    params: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = _timestamp()
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
