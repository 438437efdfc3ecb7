"""SQL tables. Every business table carries ``organisation_id``; rows are immutable once written."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, UniqueConstraint
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
    supplier_site: str | None = Field(default=None, max_length=80)
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
    kg_co2e_market_based: float
    primary_data_share: float
    nominal_energy_kwh: float
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _timestamp()


class Job(SQLModel, table=True):
    """Work done outside the request: its state, progress and outcome."""

    # The sweeper's one query per tick: queued jobs that are due, running ones gone quiet; and
    # the fair-turn check of Celery workers: when each organisation last started a job.
    __table_args__ = (
        Index("ix_job_status_run_after", "status", "run_after"),
        Index("ix_job_organisation_started", "organisation_id", "started_at"),
    )

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
    # Execution bookkeeping: a worker claims the job atomically (claim_token), proves it is alive
    # (heartbeat_at), and only the current claimant may store the outcome. A job whose claimant
    # stopped beating (crashed worker) may be claimed again.
    attempts: int = 0
    claim_token: str | None = Field(default=None, max_length=32)
    worker: str | None = Field(default=None, max_length=200)
    # While the job is queued, heartbeat_at is when a sweeper last resubmitted it (see
    # app/services/sweeper.py); a claim overwrites it.
    heartbeat_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The X-Request-ID of the request that caused this job: its logs and outgoing calls carry it.
    request_id: str | None = Field(default=None, max_length=100)
    # "Not before": a job that asked to be retried later waits queued until then (null: now).
    run_after: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ReportFile(SQLModel, table=True):
    """A report rendered by a job and kept for download: the exact bytes, and their SHA-256
    (the download's ETag). Immutable."""

    __tablename__ = "report_file"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    footprint_id: uuid.UUID = Field(foreign_key="footprint.id", index=True)
    kind: str = Field(max_length=20)  # report | declaration
    format: str = Field(max_length=10)  # json | csv | xlsx | pdf
    media_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _timestamp()


class Supplier(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    lei: str | None = Field(default=None, max_length=20)
    duns: str | None = Field(default=None, max_length=13)
    pact_company_urn: str | None = Field(default=None, max_length=300)
    created_at: datetime = _timestamp()


class SupplierSite(SQLModel, table=True):
    __tablename__ = "supplier_site"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    grid_region: str = Field(max_length=40)
    address: str | None = Field(default=None, max_length=500)
    created_at: datetime = _timestamp()


class EnergyReport(SQLModel, table=True):
    """A supplier site's energy data for one product and period. Immutable; a correction is a
    new version that ``supersedes`` the old one, which stays for the footprints that used it."""

    __tablename__ = "energy_report"
    __table_args__ = (UniqueConstraint("supersedes_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
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
    created_at: datetime = _timestamp()


class SupplierPcf(SQLModel, table=True):
    """A supplier's own product carbon footprint (PACT ProductFootprint): aggregated data."""

    __tablename__ = "supplier_pcf"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    product: str = Field(max_length=80)
    pact_id: str = Field(max_length=100)
    kg_co2e_per_kg: float
    fossil_kg_co2e_per_kg: float | None = None
    reference_period_start: date | None = None
    reference_period_end: date | None = None
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _timestamp()


# Tables defined next to their features, imported here so SQLModel.metadata (and Alembic) see
# every table of the application.
import app.access.models  # noqa: E402, F401
import app.idempotency  # noqa: E402, F401
import app.pact.models  # noqa: E402, F401
import app.webhooks.models  # noqa: E402, F401
