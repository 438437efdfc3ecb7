from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.access.deps import RepoDep
from app.core.deps import BackgroundDep
from app.footprints.scenarios import compare_scenarios
from app.footprints.schemas import ScenariosIn, ScenariosOut

router = APIRouter(prefix="/v1/boms", tags=["scenarios"])


@router.post("/{bom_id}/scenarios", response_model=ScenariosOut)
def compare_bom_scenarios(
    bom_id: uuid.UUID, payload: ScenariosIn, repo: RepoDep, background: BackgroundDep
) -> ScenariosOut:
    """The BOM's footprint under each scenario (grid region, substitution, recycled content)."""
    return compare_scenarios(repo, bom_id, payload, background)
