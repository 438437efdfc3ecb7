"""Tables of the footprint slice: a computed footprint. Immutable."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from app.core.models import OrgRow


class Footprint(OrgRow, table=True):
    """A computed footprint of one BOM on one background version. Immutable."""

    bom_id: uuid.UUID = Field(foreign_key="bom.id", index=True)
    # The imported background it was computed on (app/backgrounds); null: the open background.
    background_id: uuid.UUID | None = Field(default=None, foreign_key="imported_background.id")
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
