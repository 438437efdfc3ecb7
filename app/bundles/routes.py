"""GET /v1/footprints/{id}/bundle: the verification bundle of a stored footprint."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.access.deps import RepoDep
from app.bundles.service import footprint_bundle
from app.core.deps import BackgroundDep, SettingsDep

router = APIRouter(prefix="/v1", tags=["footprints"])


@router.get(
    "/footprints/{footprint_id}/bundle",
    response_class=Response,
    responses={
        200: {
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the verification bundle",
        },
        409: {"description": "computed on another background, or its inputs changed since"},
    },
)
def get_bundle(
    footprint_id: uuid.UUID, repo: RepoDep, settings: SettingsDep, background: BackgroundDep
) -> Response:
    """A zip to recompute this footprint with plain bw2calc: the BOM as posted and normalised,
    the foreground, background and method datapackages, versions, and recompute.py."""
    data = footprint_bundle(repo, footprint_id, background, settings.data_dir)
    disposition = f'attachment; filename="footprint-{footprint_id}-bundle.zip"'
    return Response(
        data, media_type="application/zip", headers={"Content-Disposition": disposition}
    )
