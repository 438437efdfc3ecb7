"""Request and response bodies of the BOM routes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.schemas import Code, Page, QuantityText, Strict, UtcDatetime


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
    made_in: Code | None = Field(
        default=None,
        examples=["KR"],
        description="grid region where the material is made (GET /health lists none; see "
        "data/grid/regions.csv): its production chain's electricity and heat are taken from "
        "there. A supplier site implies its own region.",
    )
    kind: Literal["material", "process"] = Field(
        default="material",
        description="material: part of the cell; process: consumed in making the cell and "
        "leaving it (a solvent such as NMP): counted in the footprint, not in the cell's mass",
    )
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
    made_in: str | None = None
    kind: str = "material"
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


class BomsPublic(Page[BomSummary]):
    pass


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
