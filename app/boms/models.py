"""Tables of the BOM slice: a BOM as posted and its lines."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import OrgRow


class Bom(OrgRow, table=True):
    """A cell's bill of materials as posted, plus its canonical (converted) cell and plant data."""

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
    supplier_site: str | None = Field(default=None, max_length=80)
    source: str | None = Field(default=None, max_length=1000)
