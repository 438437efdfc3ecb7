from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.boms.schemas import MaterialPublic, MaterialsPublic
from app.core.deps import BackgroundDep

router = APIRouter(prefix="/v1", tags=["materials"])


@router.get("/materials", response_model=MaterialsPublic)
def list_materials(
    background: BackgroundDep,
    q: Annotated[str | None, Query(max_length=100, description="text in code or name")] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
) -> MaterialsPublic:
    """Background products a BOM line may reference, optionally filtered by text or category."""
    needle = (q or "").lower()
    materials = [
        MaterialPublic(
            code=p.code,
            name=p.name,
            unit=p.unit,
            region=p.location,
            category=p.category,
            source=p.source,
            density_kg_per_l=p.density_kg_per_l,
        )
        for p in sorted(background.products.values(), key=lambda p: p.code)
        if (needle in p.code.lower() or needle in p.name.lower())
        and (category is None or p.category == category)
    ]
    return MaterialsPublic(data=materials, count=len(materials))
