"""Request and response bodies of the backgrounds slice."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from app.core.schemas import Code, Page, Strict, UtcDatetime


class BackgroundPublic(BaseModel):
    """An imported background of the caller's organisation."""

    id: uuid.UUID
    name: str
    version: str = Field(description="SHA-256 of the imported source and of the method files")
    source_format: str = Field(
        description="ecospold2, openlca-jsonld, simapro-csv or cellcarbon-data"
    )
    size_bytes: int = Field(description="bytes of the uploaded source")
    activities: int
    exchanges: int
    biosphere_flows: int
    status: str
    method_coverage: dict[str, Any] = Field(
        description="IPCC AR6 linked to the imported biosphere: flows found (and by which "
        "rule), flows missing, each flow's share of GWP100 on a test footprint, greenhouse "
        "gases left uncharacterised"
    )
    methods: list[str] = Field(
        description="methods a footprint on it may name (`method=`): IPCC AR6 GWP100 first, "
        "then each climate method shipped with the import"
    )
    warnings: list[str]
    mapped_materials: int
    created_at: UtcDatetime


class BackgroundsPublic(Page[BackgroundPublic]):
    pass


class MappingIn(Strict):
    """The whole mapping of a background: material code → activity code (PUT replaces it)."""

    entries: dict[Code, str] = Field(
        max_length=5000,
        description="material code of the open background → code of an imported activity",
        examples=[{"nmc811_cam": "3b1e…_7f2c…"}],
    )


class MappingEntry(BaseModel):
    material: str
    activity: str
    activity_name: str
    material_unit: str
    activity_unit: str
    unit_factor: float | None = Field(
        description="1 material unit = unit_factor activity units; null: incompatible units"
    )


class MappingPublic(BaseModel):
    background_id: uuid.UUID
    version: str
    entries: list[MappingEntry]
    unmapped: list[str] = Field(description="material codes of the open background not mapped")


class SuggestionPublic(BaseModel):
    code: str
    name: str
    reference_product: str
    location: str
    unit: str
    score: float = Field(description="0–1: name 50 %, reference product 35 %, location 15 %")
    unit_factor: float | None = Field(
        description="1 material unit = unit_factor activity units; null: incompatible (ranked "
        "after every compatible activity)"
    )


class MaterialSuggestions(BaseModel):
    material: str
    name: str
    unit: str
    location: str
    mapped_to: str | None
    suggestions: list[SuggestionPublic]


class SuggestionsPublic(BaseModel):
    background_id: uuid.UUID
    data: list[MaterialSuggestions]


class ComparedBackground(BaseModel):
    id: uuid.UUID | None = Field(description="null: the open background")
    name: str
    version: str
    kg_co2e: float
    kg_co2e_per_kwh: float


class ComparedLine(BaseModel):
    position: int
    label: str
    material: str
    component: str
    amount: float
    unit: str
    kg_co2e: list[float] = Field(description="one figure per background, in their order")
    difference_kg_co2e: float = Field(description="last background minus the first")
    difference_share: float | None = Field(description="difference over the first; null at 0")


class ComparisonPublic(BaseModel):
    bom_id: uuid.UUID
    method: str
    backgrounds: list[ComparedBackground]
    lines: list[ComparedLine]
    difference_kg_co2e: float
    notes: list[str]
