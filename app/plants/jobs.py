"""Plant jobs: the lot footprints of a long period, and the periodic pulls of OPC UA sources."""

from __future__ import annotations

from typing import Any

from app.core.db import session_scope
from app.core.repository import OrgRepository
from app.jobs.queue import JobContext, register_job_kind
from app.plants.footprints import compute_lot_footprints
from app.plants.opcua_sources import OPCUA_PULL, pull_source
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


def run_opcua_pull(context: JobContext) -> dict[str, Any]:
    """Pull an OPC UA source's history since its last pull and queue the next pull; one
    transaction, so a crash stores neither the readings nor the next pull (a re-run does both)."""
    assert context.subject_id is not None
    with session_scope(context.engine) as session:
        repo = OrgRepository(session, context.organisation_id, f"job:{context.job_id}")
        outcome = pull_source(repo, context.subject_id, context.job_id)
    context.progress(1, 1)
    return outcome


register_job_kind(OPCUA_PULL, run_opcua_pull)
