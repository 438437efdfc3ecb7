"""Request and response bodies of the plant API: plants, readings, lots, factors, footprints."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.core.schemas import Code, Strict, UtcDatetime
from lca.plant.factors import INSTRUMENT_KINDS
from lca.plant.model import ALLOCATION_RULES, AREA_KINDS, CARRIER_UNITS, SCOPES


class LineIn(Strict):
    line_id: Code
    name: str = Field(default="", max_length=200)


class AreaIn(Strict):
    area_id: Code
    kind: str = Field(max_length=40, examples=[AREA_KINDS[0]])
    rule: str = Field(default="cells", max_length=20, examples=list(ALLOCATION_RULES))
    lines: list[Code] = Field(default_factory=list, max_length=100)


class MeterIn(Strict):
    meter_id: Code
    carrier: str = Field(max_length=40, examples=list(CARRIER_UNITS)[:2])
    scope: str = Field(max_length=10, examples=list(SCOPES))
    scope_id: str = Field(default="", max_length=80)
    parent: Code | None = None
    cumulative: bool = False
    register_max: float | None = Field(default=None, gt=0, le=1e15)


class PlantCreate(Strict):
    """One document: the plant with its lines, shared areas and meters."""

    site: str = Field(min_length=1, max_length=200, examples=["Spring Hill, Tennessee"])
    grid_region: str = Field(min_length=1, max_length=40, examples=["US-SRTV"])
    time_zone: str = Field(min_length=1, max_length=64, examples=["America/Chicago"])
    notes: list[str] = Field(default_factory=list, max_length=20)
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    areas: list[AreaIn] = Field(default_factory=list, max_length=100)
    meters: list[MeterIn] = Field(min_length=1, max_length=2000)


class MeterPublic(MeterIn):
    unit: str


class PlantPublic(BaseModel):
    id: uuid.UUID
    site: str
    grid_region: str
    time_zone: str
    notes: list[str]
    lines: list[LineIn]
    areas: list[AreaIn]
    meters: list[MeterPublic]
    created_at: UtcDatetime


class PlantsPublic(BaseModel):
    data: list[PlantPublic]
    count: int
    limit: int
    offset: int


class FindingPublic(BaseModel):
    kind: str
    meter_id: str
    start: UtcDatetime
    end: UtcDatetime
    detail: str


class QualityPublic(BaseModel):
    """The core's quality report: counts by kind and the first findings of each kind."""

    clean: bool
    counts: dict[str, int]
    findings: list[FindingPublic]


class ReadingsUploaded(BaseModel):
    plant_id: uuid.UUID
    meters: list[str]
    values_stored: int
    values_replaced: int
    hours_rolled_up: int
    first: UtcDatetime | None
    last: UtcDatetime | None
    quality: QualityPublic


class LotsUploaded(BaseModel):
    plant_id: uuid.UUID
    created: int
    replaced: int
    lot_ids: list[str]


class GridFactorsUploaded(BaseModel):
    regions: dict[str, int]  # region → hours stored
    replaced: int


class InstrumentIn(Strict):
    """On-site generation or a contract with its hourly profile, from ``first_hour``."""

    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(max_length=40, examples=list(INSTRUMENT_KINDS))
    technology: str = Field(max_length=40, examples=["solar"])
    market: str = Field(max_length=40, examples=["US-SRTV"])
    first_hour: UtcDatetime
    kwh: list[float] = Field(max_length=24 * 366 * 2)


class FootprintComputeRequest(Strict):
    """Instruments for this computation only, beside the plant's stored ones."""

    instruments: list[InstrumentIn] = Field(default_factory=list, max_length=50)
    use_stored_instruments: bool = True


class InstrumentCreate(Strict):
    """A plant's contract or on-site generation; the hourly profile may follow as an upload."""

    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(max_length=40, examples=list(INSTRUMENT_KINDS))
    technology: str = Field(max_length=40, examples=["solar"])
    market: str = Field(max_length=40, examples=["US-SRTV"])
    first_hour: UtcDatetime | None = None
    kwh: list[float] = Field(default_factory=list, max_length=24 * 366 * 2)


class InstrumentUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: str | None = Field(default=None, max_length=40)
    technology: str | None = Field(default=None, max_length=40)
    market: str | None = Field(default=None, max_length=40)


class InstrumentPublic(BaseModel):
    id: uuid.UUID
    plant_id: uuid.UUID
    name: str
    kind: str
    technology: str
    market: str
    hours: int  # hours in the stored profile
    first_hour: UtcDatetime | None
    last_hour: UtcDatetime | None
    total_kwh: float
    created_at: UtcDatetime


class InstrumentsPublic(BaseModel):
    data: list[InstrumentPublic]
    count: int


class ProfileUploaded(BaseModel):
    instrument_id: uuid.UUID
    hours: int  # hours in the upload
    replaced: int  # of them, hours that had a stored value
    first_hour: UtcDatetime
    last_hour: UtcDatetime


class ProfileHour(BaseModel):
    hour_start_utc: UtcDatetime
    kwh: float


class InstrumentProfile(BaseModel):
    instrument_id: uuid.UUID
    data: list[ProfileHour]
    count: int


class LotFootprintPublic(BaseModel):
    id: uuid.UUID
    lot_id: str
    bom_id: uuid.UUID
    version: int
    supersedes_id: uuid.UUID | None
    lot_end: UtcDatetime
    created_at: UtcDatetime
    result: dict[str, Any]


class FootprintRow(BaseModel):
    """One lot, day or month: kg CO2e per good cell and per kWh, by method, with its splits."""

    key: str
    lots: int
    good_cells: int
    kg_co2e_per_cell: dict[str, float]
    kg_co2e_per_kwh: dict[str, float]
    plant_energy_kg_co2e_per_cell: dict[str, float]
    material_kg_co2e_per_cell: float
    by_area: dict[str, dict[str, float]]
    by_carrier: dict[str, dict[str, float]]
    idle_share: dict[str, float]
    static_estimate_kg_co2e_per_cell: dict[str, float]
    scrapped_cells: int = 0
    # step → method → kg CO2e per good cell borne for the cells scrapped at that step (their
    # materials and energy, carried by the good cells; included in kg_co2e_per_cell)
    scrap_by_step: dict[str, dict[str, float]] = Field(default_factory=dict)
    footprint_id: uuid.UUID | None = None
    version: int | None = None


class PlantFootprints(BaseModel):
    plant_id: uuid.UUID
    granularity: Literal["lot", "day", "month", "cell_model"]
    data: list[FootprintRow]
    count: int


class FootprintsComputed(BaseModel):
    plant_id: uuid.UUID
    lots: int
    new_versions: int
    unchanged: int
    footprint_ids: list[uuid.UUID]
    metered: dict[str, float]
    allocated: dict[str, float]
    unallocated: dict[str, float]
    fallback_hours: int
    matched_share: dict[str, float]


class OpcUaNodeIn(Strict):
    meter_id: Code
    node_id: str = Field(min_length=1, max_length=200, examples=["ns=2;s=Plant/Main/Energy"])
    unit: str = Field(min_length=1, max_length=40, examples=["kWh"])


class OpcUaSourceCreate(Strict):
    """An OPC UA server to pull the meters' history from every ``interval_s`` seconds."""

    url: str = Field(
        min_length=1,
        max_length=400,
        description="opc.tcp://[user:password@]host:port/path; the password is never shown",
    )
    nodes: list[OpcUaNodeIn] = Field(min_length=1, max_length=500)
    interval_s: int = Field(default=900, ge=60, le=7 * 86400)
    reading_interval_s: int | None = Field(default=None, ge=1, le=31 * 86400)
    start: UtcDatetime | None = Field(
        default=None, description="the first pull reads from here (default: one interval ago)"
    )


class OpcUaSourcePublic(BaseModel):
    id: uuid.UUID
    plant_id: uuid.UUID
    endpoint: str  # the URL without user and password
    nodes: list[OpcUaNodeIn]
    interval_s: int
    reading_interval_s: int | None
    pulled_until: UtcDatetime
    next_job_id: uuid.UUID | None
    last_error: str
    created_at: UtcDatetime


class OpcUaSourcesPublic(BaseModel):
    data: list[OpcUaSourcePublic]
    count: int
