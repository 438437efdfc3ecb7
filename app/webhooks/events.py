"""The payloads of the events this service emits (documented in the README)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from app.core.settings import Settings
from app.footprints.models import Footprint
from app.webhooks.delivery import FOOTPRINT_COMPLETED, emit

# session.info key of the endpoints read by a footprint's INSERT, for its announcement.
_READ_WITH = "cellcarbon.webhook_endpoints_read_with"


def remember_endpoints(session: Session, footprint: Footprint, rows: list[list[Any]]) -> None:
    """Keep the organisation's endpoints (rows of ``ENDPOINTS_OF``) that ``footprint``'s INSERT
    read, for :func:`footprint_completed` in the same transaction."""
    session.info.setdefault(_READ_WITH, {})[footprint.id] = rows


def footprint_completed(
    session: Session, footprint: Footprint, settings: Settings | None = None
) -> list[uuid.UUID]:
    """Announce a footprint stored in ``session``'s transaction: its ids, headline figures and
    where to read it (sent once the transaction commits, never if it rolls back)."""
    return emit(
        session,
        footprint.organisation_id,
        FOOTPRINT_COMPLETED,
        {
            "footprint_id": str(footprint.id),
            "bom_id": str(footprint.bom_id),
            "kg_co2e_per_cell": footprint.kg_co2e,
            "kg_co2e_per_kwh": footprint.kg_co2e_per_kwh,
            "background_version": footprint.background_version,
            "url": f"/v1/footprints/{footprint.id}",
        },
        settings,
        session.info.get(_READ_WITH, {}).pop(footprint.id, None),
    )
