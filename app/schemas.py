"""Request and response bodies of the HTTP API (the OpenAPI schema is generated from these)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

QuantityText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="a decimal number and a unit: unit names Pint knows joined by '*' and '/', "
        "with exponents from -4 to 4 ('^' or '**'), e.g. '165 g', '80 mL', '1.2e6 m^3'; not an "
        "expression ('2**10 kg' is refused). After conversion the value must lie in the field's "
        "plausible range (lca/ranges.py), which a refusal names with its unit",
        examples=["165 g"],
    ),
]


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
Code = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CellIn(Strict):
    chemistry: str = Field(min_length=1, max_length=40, examples=["NMC811"])
    format: str = Field(min_length=1, max_length=40, examples=["pouch"])
    nominal_capacity: QuantityText = Field(examples=["60 Ah"])
    nominal_voltage: QuantityText = Field(examples=["3.65 V"])
    mass: QuantityText | None = Field(default=None, examples=["0.86 kg"])


class PlantIn(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Spring Hill"])
    grid_region: Code = Field(examples=["US-SRTV"])
    electricity_per_cell: QuantityText = Field(default="0 kWh", examples=["0.9 kWh"])
    heat_per_cell: QuantityText = Field(
        default="0 MJ",
        examples=["2.5 MJ"],
        description="natural gas burned at the plant per cell, as fuel energy (LHV)",
    )


class LineIn(Strict):
    component: str = Field(min_length=1, max_length=80, examples=["cathode"])
    material: Code = Field(examples=["nmc811_cam"])
    amount: QuantityText
    supplier: Code | None = Field(default=None, description="id of one of your suppliers")
    supplier_site: Code | None = Field(default=None, description="id of that supplier's site")
    source: str | None = Field(default=None, max_length=1000)


class BomCreate(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["NMC811 pouch 60 Ah"])
    description: str | None = Field(default=None, max_length=2000)
    cell: CellIn
    plant: PlantIn
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    sources: list[Annotated[str, Field(max_length=1000)]] = Field(default=[], max_length=50)


class CellPublic(BaseModel):
    chemistry: str
    format: str
    nominal_capacity_ah: float
    nominal_voltage_v: float
    nominal_energy_kwh: float
    mass_kg: float | None


class PlantPublic(BaseModel):
    name: str
    grid_region: str
    electricity_kwh: float
    heat_mj: float


class LinePublic(BaseModel):
    position: int
    component: str
    material: str
    amount_given: str
    amount: float = Field(description="amount in `unit`, the material's canonical unit")
    unit: str
    supplier: str | None
    supplier_site: str | None
    source: str | None


class BomPublic(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    created_at: UtcDatetime
    cell: CellPublic
    plant: PlantPublic
    lines: list[LinePublic]
    sources: list[str]


class BomSummary(BaseModel):
    id: uuid.UUID
    name: str
    chemistry: str
    grid_region: str
    created_at: UtcDatetime


class BomsPublic(BaseModel):
    data: list[BomSummary]
    count: int
    limit: int
    offset: int


class MaterialPublic(BaseModel):
    code: str
    name: str
    unit: str
    region: str
    category: str
    source: str
    density_kg_per_l: float | None


class MaterialsPublic(BaseModel):
    data: list[MaterialPublic]
    count: int


class BackgroundVersion(BaseModel):
    name: str
    version: str = Field(
        description="SHA-256 content hash of the data the background was built from"
    )
    method: str


class BackgroundInfo(BackgroundVersion):
    activities: int = Field(description="number of background activities")


class HealthPublic(BaseModel):
    status: str = Field(description="'ok' when the database is reachable and the background loaded")
    database: bool
    background: BackgroundInfo | None
    version: str


class SupplierDataRef(BaseModel):
    kind: str = Field(description="energy_report or pcf")
    id: uuid.UUID


class LivenessPublic(BaseModel):
    status: str
    version: str


class ReadinessPublic(BaseModel):
    status: str = Field(description="'ready' or 'not ready'")
    checks: dict[str, bool]


class FootprintLine(BaseModel):
    label: str
    material: str
    component: str
    stage: str
    amount: float
    unit: str
    kg_co2e: float = Field(description="location-based")
    kg_co2e_market_based: float | None = None
    share: float
    supplier: str | None = None
    data_quality: str = Field(
        default="secondary", description="secondary, primary, or primary (aggregated)"
    )
    primary_kg_co2e: float = 0.0
    supplier_data: SupplierDataRef | None = None


class UpstreamPublic(BaseModel):
    code: str
    name: str
    location: str
    amount: float = Field(description="reference product of the activity needed per cell")
    unit: str
    kg_co2e: float = Field(description="the activity's own emissions in this footprint")
    share: float


class FootprintPublic(BaseModel):
    id: uuid.UUID
    bom_id: uuid.UUID
    created_at: UtcDatetime
    background: BackgroundVersion
    software_version: str
    input_sha256: str
    kg_co2e_per_cell: float
    kg_co2e_per_kwh: float
    nominal_energy_kwh: float
    kg_co2e_per_cell_gwp20: float
    kg_co2e_per_cell_market_based: float
    kg_co2e_per_kwh_market_based: float
    electricity_accounting: str = Field(
        default="location-based headline figures; market-based (GHG Protocol Scope 2) alongside",
    )
    primary_data_share: float = Field(description="PACT primary data share, location-based")
    primary_data_share_market_based: float
    lines: list[FootprintLine]
    by_component: dict[str, float]
    by_stage: dict[str, float]
    by_gas: dict[str, float] = Field(description="kg CO2e (GWP100) by gas group; biogenic apart")
    by_supplier: dict[str, float]
    by_supplier_market_based: dict[str, float]
    biogenic_co2_emission_kg: float
    biogenic_co2_removal_kg: float
    upstream: list[UpstreamPublic] = Field(
        description="background activities whose own emissions contribute most, largest first"
    )
    upstream_rest_kg_co2e: float = Field(description="all other background activities together")
    notes: list[str] = Field(description="lines on secondary data despite a supplier, and the like")


class ScenarioIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    grid_region: Code | None = Field(default=None, description="make the cell in this grid region")
    substitutions: dict[Code, Code] = Field(
        default={}, max_length=50, description="material code on the BOM → material code to use"
    )
    suppliers: dict[Code, Code] = Field(
        default={},
        max_length=50,
        description="material code on the BOM → id of a supplier whose data its lines then use",
    )
    recycled_share: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default={},
        max_length=3,
        description="share of the element's salts from recycling, throughout the supply chain",
        examples=[{"Ni": 0.3, "Co": 0.3, "Li": 0.1}],
    )


class ScenariosIn(Strict):
    scenarios: list[ScenarioIn] = Field(min_length=1, max_length=20)


class ScenarioOut(BaseModel):
    name: str
    kg_co2e_per_cell: float
    kg_co2e_per_kwh: float
    delta_kg_co2e_per_cell: float
    delta_share: float
    by_component: dict[str, float]
    by_stage: dict[str, float]
    by_gas: dict[str, float]


class ScenariosOut(BaseModel):
    bom_id: uuid.UUID
    background: BackgroundVersion
    baseline_kg_co2e_per_cell: float
    baseline_kg_co2e_per_kwh: float
    scenarios: list[ScenarioOut]


class UncertaintyIn(Strict):
    iterations: int = Field(default=1000, ge=10, le=100_000)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    background: bool = Field(default=True, description="sample the background's uncertainty")
    foreground_gsd: float | None = Field(
        default=None,
        ge=1.0,
        le=10.0,
        description="geometric standard deviation applied to every BOM line amount",
    )


class JobPublic(BaseModel):
    id: uuid.UUID
    kind: str
    status: str = Field(description="queued, running, succeeded or failed")
    progress: float
    subject_id: uuid.UUID | None
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    attempts: int = Field(description="runs started so far (a retried job counts each)")
    run_after: UtcDatetime | None = Field(
        description="a queued job waiting to be retried does not run before this time"
    )
    request_id: str | None = Field(
        description="X-Request-ID of the request that caused the job; its logs and the "
        "webhook and PACT calls it makes carry the same id"
    )
