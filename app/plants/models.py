"""Tables of the plant slice: plants with their lines, areas and meters; readings and their hourly
roll-ups; production lots; hourly grid factors; versioned lot footprints.

Times of readings, roll-ups and factors are integers (UTC epoch seconds, or hours since the
epoch), as the plant core computes on them; they are what PostgreSQL's COPY streams fastest.
``meter_reading`` is range-partitioned by month on PostgreSQL (the migration creates it so);
it and ``meter_hourly`` name a meter by its integer ``meter_key``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import _timestamp


class Plant(SQLModel, table=True):
    """A cell plant: its site, the grid region it buys electricity in and its time zone."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    site: str = Field(max_length=200)
    grid_region: str = Field(max_length=40)
    time_zone: str = Field(max_length=64)
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _timestamp()


class PlantLine(SQLModel, table=True):
    __tablename__ = "plant_line"
    __table_args__ = (UniqueConstraint("plant_id", "line_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    plant_id: uuid.UUID = Field(foreign_key="plant.id", index=True)
    line_id: str = Field(max_length=80)
    name: str = Field(default="", max_length=200)


class PlantArea(SQLModel, table=True):
    """A shared area; ``lines`` empty: it serves every line."""

    __tablename__ = "plant_area"
    __table_args__ = (UniqueConstraint("plant_id", "area_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    plant_id: uuid.UUID = Field(foreign_key="plant.id", index=True)
    area_id: str = Field(max_length=80)
    kind: str = Field(max_length=40)
    rule: str = Field(max_length=20)
    lines: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class PlantMeter(SQLModel, table=True):
    """A meter of one carrier on a line, an area or the whole plant; ``parent`` is a meter id."""

    __tablename__ = "plant_meter"
    __table_args__ = (
        UniqueConstraint("plant_id", "meter_id"),
        Index("ix_plant_meter_meter_key", "meter_key", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    plant_id: uuid.UUID = Field(foreign_key="plant.id", index=True)
    meter_id: str = Field(max_length=80)
    carrier: str = Field(max_length=40)
    unit: str = Field(max_length=10)  # canonical unit values are stored in (kWh or MJ)
    scope: str = Field(max_length=10)
    scope_id: str = Field(default="", max_length=80)
    parent: str | None = Field(default=None, max_length=80)
    cumulative: bool = False
    register_max: float | None = None
    position: int = 0  # order in the plant document
    # The integer readings and roll-ups are stored under (see app.plants.ingest.new_meter_keys).
    meter_key: int


class MeterReading(SQLModel, table=True):
    """One interval of one meter, in the canonical unit of its carrier (kWh or MJ).

    Rows are as narrow as they can be — the meter's integer key, not its organisation, plant
    and id — since a plant writes millions: they reach their organisation through
    ``plant_meter.meter_key``.
    """

    __tablename__ = "meter_reading"

    meter_key: int = Field(
        primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False}
    )
    start_s: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    end_s: int = Field(sa_column=Column(BigInteger, nullable=False))
    value: float


class MeterHourly(SQLModel, table=True):
    """A meter's energy in one UTC hour (hours since the epoch), rolled up from its readings;
    keyed like :class:`MeterReading`."""

    __tablename__ = "meter_hourly"

    meter_key: int = Field(
        primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False}
    )
    hour: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    value: float


class PlantLot(SQLModel, table=True):
    """A production lot; its cell model is a stored BOM. Sending a lot id again replaces it."""

    __tablename__ = "plant_lot"
    __table_args__ = (
        UniqueConstraint("plant_id", "lot_id"),
        Index("ix_plant_lot_plant_id_end_s", "plant_id", "end_s"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    plant_id: uuid.UUID = Field(foreign_key="plant.id")
    lot_id: str = Field(max_length=80)
    bom_id: uuid.UUID = Field(foreign_key="bom.id", index=True)
    line: str = Field(max_length=80)
    start_s: int = Field(sa_column=Column(BigInteger, nullable=False))
    end_s: int = Field(sa_column=Column(BigInteger, nullable=False))
    good_cells: int
    scrapped_cells: int = 0
    scrap_step: str = Field(default="", max_length=80)
    created_at: datetime = _timestamp()


class GridFactor(SQLModel, table=True):
    """Location-based kg CO2e per kWh of a grid region in one UTC hour, with its source."""

    __tablename__ = "grid_factor"

    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", primary_key=True)
    region: str = Field(primary_key=True, max_length=40)
    hour: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kg_co2e_per_kwh: float
    source: str = Field(max_length=300)


class PlantInstrument(SQLModel, table=True):
    """A contractual instrument (PPA, granular certificates, green tariff) or on-site generation
    of a plant; its hourly profile is in ``instrument_hour``."""

    __tablename__ = "plant_instrument"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    plant_id: uuid.UUID = Field(foreign_key="plant.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    technology: str = Field(max_length=40)
    market: str = Field(max_length=40)
    created_at: datetime = _timestamp()


class InstrumentHour(SQLModel, table=True):
    """The kWh an instrument delivers in one UTC hour (hours since the epoch)."""

    __tablename__ = "instrument_hour"

    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    instrument_id: uuid.UUID = Field(foreign_key="plant_instrument.id", primary_key=True)
    hour: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kwh: float


class OpcUaSource(SQLModel, table=True):
    """An OPC UA server whose historised variables are a plant's meters, pulled every
    ``interval_s`` by a ``plant.opcua_pull`` job. ``url`` may hold a user and password: it is
    never answered, audited or logged (only :func:`app.plants.opcua.safe_endpoint` of it)."""

    __tablename__ = "opcua_source"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    plant_id: uuid.UUID = Field(foreign_key="plant.id", index=True)
    url: str = Field(max_length=400)
    # [{"meter_id", "node_id", "unit"}]
    nodes: list[dict[str, str]] = Field(sa_column=Column(JSON, nullable=False))
    interval_s: int
    reading_interval_s: int | None = None  # of the meters' values; None: their median spacing
    pulled_until_s: int = Field(sa_column=Column(BigInteger, nullable=False))
    next_job_id: uuid.UUID | None = None  # the one pull job of this source that may run
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = _timestamp()


class LotFootprint(SQLModel, table=True):
    """A lot's footprint per good cell. Immutable: late readings give a new version that
    ``supersedes`` the old one, which stays."""

    __tablename__ = "lot_footprint"
    __table_args__ = (UniqueConstraint("plant_lot_id", "version"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    plant_id: uuid.UUID = Field(foreign_key="plant.id", index=True)
    plant_lot_id: uuid.UUID = Field(foreign_key="plant_lot.id", index=True)
    lot_id: str = Field(max_length=80)
    bom_id: uuid.UUID = Field(foreign_key="bom.id")
    version: int = 1
    supersedes_id: uuid.UUID | None = Field(default=None, foreign_key="lot_footprint.id")
    lot_end_s: int = Field(sa_column=Column(BigInteger, nullable=False))
    input_sha256: str = Field(max_length=64)
    background_version: str = Field(max_length=64)
    kg_co2e_per_good_cell_location: float
    kg_co2e_per_good_cell_market_annual: float
    kg_co2e_per_good_cell_market_hourly: float
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _timestamp()
