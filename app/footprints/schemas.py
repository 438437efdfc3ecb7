"""Request and response bodies of the footprint and scenario routes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.schemas import BackgroundVersion, Code, Strict, UtcDatetime


class SupplierDataRef(BaseModel):
    kind: str = Field(description="energy_report or pcf")
    id: uuid.UUID


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
    made_in: str | None = Field(
        default=None,
        description="grid region whose electricity and heat the material's production chain "
        "was re-linked to (the line's made_in or its supplier site), if any",
    )


class UpstreamPublic(BaseModel):
    code: str
    name: str
    location: str
    amount: float = Field(description="reference product of the activity needed per cell")
    unit: str
    kg_co2e: float = Field(description="the activity's own emissions in this footprint")
    share: float


class RulesetFigure(BaseModel):
    """The footprint with its electricity priced under one named, versioned ruleset."""

    code: str
    version: str
    name: str
    status: Literal["final", "draft"] = Field(description="draft: not an adopted text")
    status_detail: str = Field(description="the text's own status (draft, consultation draft, …)")
    applicable: bool = Field(description="false when the ruleset cannot be applied (see why)")
    kg_co2e_per_cell: float | None
    kg_co2e_per_kwh: float | None = Field(description="per kWh of the cell's nominal energy")
    electricity_kwh_per_cell: float = Field(description="plant and supplier kWh it re-priced")
    electricity_kg_co2e_per_cell: float | None = Field(description="what those kWh cost under it")
    change_by_stage: dict[str, float] = Field(
        description="kg CO2e per cell added to each life-cycle stage of the headline figures"
    )
    explanation: list[str] = Field(description="which kWh got which factor, and why")


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
        default="location-based headline figures (headline_ruleset: GHG Protocol Scope 2 "
        "location-based); market-based alongside; every electricity ruleset in "
        "electricity_rulesets",
    )
    primary_data_share: float = Field(description="PACT primary data share, location-based")
    primary_data_share_market_based: float
    data_quality_rating: float | None = Field(
        default=None,
        description="PEF data quality rating (1 best … 5 worst) of the data behind the "
        "footprint, weighted by contribution; from derived pedigree scores (data/quality)",
    )
    data_quality_level: str | None = Field(
        default=None, description="excellent, very good, good, fair or poor (PEF levels)"
    )
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
    headline_ruleset: str = Field(
        default="ghgp-scope2-location/2015",
        description="the electricity ruleset of the headline figures (GHG Protocol location-based)",
    )
    electricity_rulesets: list[RulesetFigure] = Field(
        default_factory=list,
        description="the footprint under every electricity ruleset (empty for older footprints)",
    )


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


# --- request: distribution and end of life ----------------------------------------------------


class TransportLegIn(Strict):
    mode: Literal["truck", "rail", "sea"]
    distance_km: float = Field(ge=0, le=50_000, allow_inf_nan=False)
    label: str | None = Field(default=None, max_length=100)


class DistributionIn(Strict):
    legs: list[TransportLegIn] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="transport legs from the plant to the customer; omitted = the defaults of "
        "data/lifecycle/transport.csv for the plant's country",
    )


class EndOfLifeIn(Strict):
    route: Code = Field(
        default="hydrometallurgical",
        description="a route of data/lifecycle/recycling.csv: hydrometallurgical or "
        "pyrometallurgical",
    )
    grid_region: Code = Field(
        default="DE",
        description="grid region of the recycling site (used by routes with an electricity input)",
    )


class FootprintRequest(Strict):
    """Optional body of ``POST /v1/boms/{id}/footprints``: a present key adds that stage."""

    distribution: DistributionIn | None = Field(
        default=None, description="add the distribution stage ({} = defaults)"
    )
    end_of_life: EndOfLifeIn | None = Field(
        default=None, description="add the end-of-life and recycling stage ({} = defaults)"
    )
    background: uuid.UUID | None = Field(
        default=None,
        description="an imported background of the organisation, as `?background=` (both "
        "given and different: 422). Default: the open background",
    )
