"""Tables of the supplier slice: suppliers, sites, energy reports, PCFs."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field

from app.core.models import OrgRow


class Supplier(OrgRow, table=True):
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    lei: str | None = Field(default=None, max_length=20)
    duns: str | None = Field(default=None, max_length=13)
    pact_company_urn: str | None = Field(default=None, max_length=300)


class SupplierSite(OrgRow, table=True):
    __tablename__ = "supplier_site"

    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    grid_region: str = Field(max_length=40)
    address: str | None = Field(default=None, max_length=500)


class EnergyReport(OrgRow, table=True):
    """A supplier site's energy data for one product and period. Immutable; a correction is a
    new version that ``supersedes`` the old one, which stays for the footprints that used it."""

    __tablename__ = "energy_report"
    __table_args__ = (UniqueConstraint("supersedes_id"),)

    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    site_id: uuid.UUID = Field(foreign_key="supplier_site.id", index=True)
    product: str = Field(max_length=80)
    period_start: date
    period_end: date
    output_kg: float
    version: int = 1
    supersedes_id: uuid.UUID | None = Field(default=None, foreign_key="energy_report.id")
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class SupplierPcf(OrgRow, table=True):
    """A supplier's own product carbon footprint (PACT ProductFootprint): aggregated data."""

    __tablename__ = "supplier_pcf"

    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    product: str = Field(max_length=80)
    pact_id: str = Field(max_length=100)
    kg_co2e_per_kg: float
    fossil_kg_co2e_per_kg: float | None = None
    reference_period_start: date | None = None
    reference_period_end: date | None = None
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
