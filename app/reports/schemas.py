"""Report, declaration and comparison documents (JSON bodies)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from app.core.schemas import BackgroundVersion
from app.footprints.schemas import RulesetFigure

# --- reports ------------------------------------------------------------------------------------


class Identification(BaseModel):
    footprint_id: uuid.UUID
    bom_id: uuid.UUID
    bom_sha256: str = Field(description="hash of the BOM as posted (its version)")
    cell_model: str
    chemistry: str
    cell_format: str
    plant_name: str
    plant_grid_region: str
    plant_country: str
    background: BackgroundVersion
    software_version: str
    input_sha256: str
    computed_at: str = Field(description="when the footprint was computed (UTC, ISO 8601)")


class FunctionalUnit(BaseModel):
    application: str
    label: str
    energy_capacity_kwh: float = Field(description="the cell's nominal energy (kWh)")
    full_equivalent_cycles_per_year: float
    service_years: float
    total_energy_kwh: float = Field(description="capacity × cycles per year × years")
    cycles_source: str
    years_source: str
    overridden: list[str] = Field(description="inputs given by the caller instead of defaults")


class Results(BaseModel):
    kg_co2e_per_cell: float
    kg_co2e_per_kwh_nominal: float
    kg_co2e_per_kwh_delivered: float = Field(description="per kWh of the functional unit")
    kg_co2e_per_cell_gwp20: float
    kg_co2e_per_cell_market_based: float
    kg_co2e_per_kwh_nominal_market_based: float
    primary_data_share: float
    primary_data_share_market_based: float
    data_quality_rating: float | None = Field(
        default=None,
        description="PEF data quality rating weighted by contribution (1 best … 5 worst)",
    )
    biogenic_co2_emission_kg: float
    biogenic_co2_removal_kg: float


class StageEntry(BaseModel):
    stage: str
    label: str
    assessed: bool = Field(description="false when the footprint did not model this stage")
    kg_co2e_per_cell: float
    kg_co2e_per_kwh_delivered: float
    share: float


class Entry(BaseModel):
    """One breakdown entry (component, supplier, gas): kg CO2e per cell and its share."""

    name: str
    kg_co2e_per_cell: float
    share: float


class SupplierEntry(BaseModel):
    name: str
    kg_co2e_per_cell: float
    kg_co2e_per_cell_market_based: float


class LineEntry(BaseModel):
    label: str
    material: str
    component: str
    stage: str
    supplier: str | None
    amount: float
    unit: str
    kg_co2e_per_cell: float
    kg_co2e_per_cell_market_based: float | None
    share: float
    data_quality: str
    made_in: str | None = Field(
        default=None, description="grid region the material's chain was re-linked to, if any"
    )


class UpstreamEntry(BaseModel):
    code: str
    name: str
    location: str
    kg_co2e_per_cell: float
    share: float


class Uncertainty(BaseModel):
    job_id: uuid.UUID
    iterations: int
    seed: int
    mean_kg_co2e_per_cell: float
    sd_kg_co2e_per_cell: float
    p2_5_kg_co2e_per_cell: float
    p97_5_kg_co2e_per_cell: float
    covers: str = Field(description="which stages the Monte Carlo run covered")


class SourceEntry(BaseModel):
    used_by: str = Field(description="a material code, a BOM line, or a life-cycle stage model")
    source: str


class FootprintReport(BaseModel):
    report: Literal["cellcarbon.footprint-report/1"] = "cellcarbon.footprint-report/1"
    identification: Identification
    functional_unit: FunctionalUnit
    results: Results
    stages: list[StageEntry]
    components: list[Entry]
    lines: list[LineEntry]
    suppliers: list[SupplierEntry]
    gases: list[Entry] = Field(description="GWP100 by gas group; biogenic CO2 in results")
    upstream: list[UpstreamEntry]
    upstream_rest_kg_co2e_per_cell: float
    uncertainty: Uncertainty | None
    lifecycle_parameters: dict[str, object] = Field(
        description="distribution legs and end-of-life route used (empty when not modelled)"
    )
    data_quality: dict[str, list[str]] = Field(description="line labels by data quality")
    data_quality_level: str | None = Field(
        default=None, description="PEF level of results.data_quality_rating"
    )
    regionalised: dict[str, list[str]] = Field(
        default={},
        description="line labels by the grid region their material's production chain was "
        "re-linked to (made_in, or the supplier site's region)",
    )
    sources: list[SourceEntry]
    notes: list[str]
    headline_ruleset: str = Field(description="the electricity ruleset of the results above")
    electricity_rulesets: list[RulesetFigure] = Field(
        description="the footprint under every electricity ruleset, side by side"
    )


class DeclarationStage(BaseModel):
    stage: str
    label: str
    kg_co2e_per_kwh: float
    kg_co2e_per_cell: float
    assessed: bool
    basis: str = Field(description="where the figure comes from, or why it is not assessed")


class Declaration(BaseModel):
    """Carbon footprint declaration fields of Regulation (EU) 2023/1542 Art. 7(1) and Annex II."""

    declaration: Literal["cellcarbon.eu-battery-cf-declaration/1"] = (
        "cellcarbon.eu-battery-cf-declaration/1"
    )
    manufacturer: str
    battery_model: str
    plant_location: str
    carbon_footprint_kg_co2e_per_kwh: float = Field(description="per kWh of the functional unit")
    carbon_footprint_kg_co2e_per_cell: float = Field(description="the stages' sum per cell")
    scope: str = Field(description="which life-cycle stages the figure covers, on its face")
    complete: bool = Field(description="false when a stage was left out at the caller's request")
    not_assessed: list[str] = Field(description="stages left out at the caller's request")
    electricity_ruleset: str = Field(description="code/version of the electricity ruleset used")
    electricity_ruleset_name: str
    electricity_ruleset_status: str = Field(description="final, or draft: not an adopted text")
    stages: list[DeclarationStage]
    functional_unit: FunctionalUnit
    performance_class: str | None = None
    performance_class_note: str
    public_study: str = Field(description="where the study behind the declaration is published")
    identifiers: dict[str, str]
    notes: list[str]


class ComparisonColumn(BaseModel):
    footprint_id: uuid.UUID
    cell_model: str
    plant_grid_region: str
    input_sha256: str
    results: Results
    stages: dict[str, float] = Field(description="kg CO2e per cell by stage")
    components: dict[str, float] = Field(description="kg CO2e per cell by component")


class ComparisonReport(BaseModel):
    report: Literal["cellcarbon.comparison-report/1"] = "cellcarbon.comparison-report/1"
    functional_unit_application: str
    footprints: list[ComparisonColumn]
