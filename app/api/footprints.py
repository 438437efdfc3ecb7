from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.api.deps import BackgroundDep, RepoDep, SessionDep, SettingsDep
from app.models import Bom, Footprint
from app.runtime import get_engine
from app.schemas import FootprintPublic
from app.services.footprints import compute_footprint, footprint_public

router = APIRouter(prefix="/v1", tags=["footprints"])


@router.post(
    "/boms/{bom_id}/footprints",
    response_model=FootprintPublic,
    status_code=status.HTTP_201_CREATED,
)
def create_footprint(
    bom_id: uuid.UUID,
    repo: RepoDep,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundDep,
    response: Response,
) -> FootprintPublic:
    """Compute and store the footprint of one cell of this BOM on the current background."""
    repo.get(Bom, bom_id, "BOM")
    # The job runs in its own transaction; commit ours first so the organisation row it needs
    # is visible to it (the default organisation may have just been created).
    session.commit()
    footprint_id = compute_footprint(
        bom_id, repo.organisation_id, engine=get_engine(settings), background=background
    )
    response.headers["Location"] = f"/v1/footprints/{footprint_id}"
    return footprint_public(repo.get(Footprint, footprint_id, "footprint"))


@router.get("/footprints/{footprint_id}", response_model=FootprintPublic)
def get_footprint(footprint_id: uuid.UUID, repo: RepoDep) -> FootprintPublic:
    """One stored footprint: per cell, per kWh, and its breakdown."""
    return footprint_public(repo.get(Footprint, footprint_id, "footprint"))
