"""Request body of ``POST /v1/footprints/batch`` (the answer is NDJSON, one line per variant)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from app.boms.schemas import BomCreate
from app.core.schemas import Code, Strict

# A batch is priced in one request; beyond this, split it (the answer streams, the body does not).
MAX_VARIANTS = 10_000


class VariantIn(Strict):
    """One variant: changes to the base BOM, or a whole BOM (the changes then apply to it)."""

    key: str = Field(min_length=1, max_length=200, description="the client's name for it")
    grid_region: Code | None = Field(default=None, description="make the cell in this grid region")
    # default_factory, not default={}: pydantic deep-copies a mutable default for every
    # variant, which was a third of validating 10,000 of them.
    substitutions: dict[Code, Code] = Field(
        default_factory=dict,
        max_length=50,
        description="material code on the BOM → material code to use",
    )
    suppliers: dict[Code, Code] = Field(
        default_factory=dict,
        max_length=50,
        description="material code on the BOM → id of a supplier whose data its lines then use",
    )
    recycled_share: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict,
        max_length=3,
        description="share of the element's salts from recycling, throughout the supply chain",
        examples=[{"Ni": 0.3, "Co": 0.3, "Li": 0.1}],
    )
    bom: BomCreate | None = Field(
        default=None, description="a whole BOM, as POST /v1/boms takes it, instead of the base"
    )


class BatchIn(Strict):
    bom_id: uuid.UUID | None = Field(default=None, description="a stored BOM as the base")
    bom: BomCreate | None = Field(default=None, description="or an inline BOM as the base")
    variants: list[VariantIn] = Field(min_length=1, max_length=MAX_VARIANTS)
    top: int = Field(default=5, ge=0, le=20, description="contributors listed per variant")
