"""Plant jobs: the lot footprints of a long period, computed by the workers."""

from __future__ import annotations

from typing import Any

from app.core.db import session_scope
from app.core.repository import OrgRepository
from app.jobs.queue import JobContext, register_job_kind
from app.plants.footprints import compute_lot_footprints
from app.plants.schemas import FootprintComputeRequest

PLANT_FOOTPRINTS = "plant.footprints"


def run_plant_footprints(context: JobContext) -> dict[str, Any]:
    """Compute the period's lot footprints in one transaction. A re-run after a crash finds the
    versions it stored and adds none (unchanged figures keep their footprint)."""
    plant_id, params = context.subject_id, context.params
    assert plant_id is not None
    request = FootprintComputeRequest.model_validate(params.get("request") or {})
    with session_scope(context.engine) as session:
        repo = OrgRepository(session, context.organisation_id, params.get("actor", "job"))
        summary = compute_lot_footprints(
            repo,
            plant_id,
            params["from_s"],
            params["to_s"],
            context.background,
            request,
            context.settings,
        )
    context.progress(1, 1)
    return summary.model_dump(mode="json")


register_job_kind(PLANT_FOOTPRINTS, run_plant_footprints)
