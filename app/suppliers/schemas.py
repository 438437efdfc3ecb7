"""Request and response bodies of the supplier API: suppliers, sites, energy reports, PCFs."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from app.core.schemas import Code, Page, QuantityText, Strict, UtcDatetime

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["KR"])]


class SupplierIdentifiers(Strict):
    lei: str | None = Field(default=None, pattern=r"^[A-Z0-9]{20}$")
    duns: str | None = Field(default=None, pattern=r"^[0-9]{9}([0-9]{4})?$")
    pact_company_urn: str | None = Field(
        default=None, pattern=r"^urn:[A-Za-z0-9:._%-]+$", max_length=300
    )


class SupplierCreate(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Hanyang Cathode Materials"])
    country: CountryCode
    identifiers: SupplierIdentifiers = SupplierIdentifiers()


class SupplierPublic(BaseModel):
    id: uuid.UUID
    name: str
    country: str
    identifiers: SupplierIdentifiers
    created_at: UtcDatetime


class SuppliersPublic(Page[SupplierPublic]):
    pass


class SiteCreate(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Gwangyang plant"])
    country: CountryCode
    grid_region: Code = Field(examples=["KR"])
    address: str | None = Field(default=None, max_length=500)


class SitePublic(BaseModel):
    id: uuid.UUID
    supplier_id: uuid.UUID
    name: str
    country: str
    grid_region: str
    address: str | None
    created_at: UtcDatetime


class SitesPublic(BaseModel):
    data: list[SitePublic]
    count: int


class PeriodIn(Strict):
    start: date
    end: date


class OutputIn(Strict):
    amount: QuantityText = Field(examples=["1200 t"])


class InstrumentIn(Strict):
    type: Literal["ppa", "green_tariff", "unbundled_certificate"]
    certificate_type: Literal["REC", "GO", "I-REC", "other"] | None = None
    amount: QuantityText = Field(examples=["500 MWh"])
    technology: Literal["wind", "solar", "hydro", "nuclear", "geothermal", "bioenergy"]
    vintage_year: int = Field(ge=1990, le=2100)
    market: Code = Field(description="grid region or ISO country where the instrument was issued")
    tracking_system: str | None = Field(default=None, max_length=100)
    certificate_ids: list[Annotated[str, Field(max_length=200)]] = Field(
        default=[], max_length=1000
    )


class OnsiteIn(Strict):
    technology: Literal["wind", "solar", "hydro", "geothermal", "bioenergy"]
    amount: QuantityText


class ElectricityIn(Strict):
    grid: QuantityText = Field(description="electricity bought from the grid", examples=["2.4 GWh"])
    instruments: list[InstrumentIn] = Field(default=[], max_length=200)
    onsite: list[OnsiteIn] = Field(default=[], max_length=20)
    supplier_specific_rate: QuantityText | None = Field(
        default=None, description="the utility's own emission rate, e.g. '0.45 kg/kWh'"
    )


class FuelIn(Strict):
    fuel: Literal["natural_gas", "diesel", "lpg", "coal", "heavy_fuel_oil"]
    amount: QuantityText = Field(examples=["1.2e6 m^3", "3000 MMBtu", "80 t"])
    heating_value_basis: Literal["LHV", "HHV"] | None = Field(
        default=None,
        description="basis of an energy amount; default HHV for Btu and therm, LHV otherwise",
    )


class GasAmountIn(Strict):
    gas: Code = Field(examples=["co2_fossil", "cf4"])
    amount: QuantityText


class MaterialAmountIn(Strict):
    material: Code
    amount: QuantityText


class EnergyReportCreate(Strict):
    site_id: uuid.UUID
    product: Code = Field(description="the catalogue material the site produces")
    period: PeriodIn
    output: OutputIn
    electricity: ElectricityIn
    fuels: list[FuelIn] = Field(default=[], max_length=20)
    purchased_heat: QuantityText | None = Field(default=None, examples=["500 GJ"])
    process_emissions: list[GasAmountIn] | None = Field(
        default=None,
        max_length=20,
        description="non-energy emissions; omit to keep the background's",
    )
    materials: list[MaterialAmountIn] | None = Field(
        default=None, max_length=100, description="material inputs; omit to keep the background's"
    )
    supersedes: uuid.UUID | None = Field(default=None, description="the report this one corrects")


class ElectricityAllocationPublic(BaseModel):
    method: str = Field(description="location or market")
    rule: str
    kwh_per_kg: float
    background_activity: str | None
    kg_co2e_per_kg: float


class EnergyReportPublic(BaseModel):
    id: uuid.UUID
    supplier_id: uuid.UUID
    site_id: uuid.UUID
    product: str
    period_start: date
    period_end: date
    output_kg: float
    version: int
    supersedes_id: uuid.UUID | None
    superseded_by: uuid.UUID | None
    kg_co2e_per_kg_location_based: float
    kg_co2e_per_kg_market_based: float
    primary_kg_co2e_per_kg_location_based: float
    primary_kg_co2e_per_kg_market_based: float
    electricity: list[ElectricityAllocationPublic]
    upstream_basis: str
    notes: list[str]
    created_at: UtcDatetime


class EnergyReportsPublic(BaseModel):
    data: list[EnergyReportPublic]
    count: int


class PcfImport(Strict):
    material: Code = Field(description="the catalogue material this footprint is for")
    footprint: dict[str, Any] = Field(description="a PACT v3 ProductFootprint (or its `data`)")


class PcfPublic(BaseModel):
    id: uuid.UUID
    supplier_id: uuid.UUID
    material: str
    pact_id: str
    kg_co2e_per_kg: float
    fossil_kg_co2e_per_kg: float | None
    reference_period_start: date | None
    reference_period_end: date | None
    created_at: UtcDatetime
