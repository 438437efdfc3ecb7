"""Footprint jobs: a footprint computed later, and its Monte Carlo run."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from sqlalchemy.exc import IntegrityError

from app.boms.models import Bom
from app.core.db import session_scope
from app.core.repository import OrgRepository
from app.footprints.models import Footprint
from app.footprints.schemas import FootprintRequest
from app.footprints.service import cell_model, compute_footprint, stored_request
from app.jobs.queue import FOOTPRINT, UNCERTAINTY, JobContext, register_job_kind
from lca.footprint import STAGE_MATERIALS
from lca.montecarlo import monte_carlo


def run_footprint(context: JobContext) -> dict[str, Any]:
    """Compute a BOM's footprint under the id fixed when the job was created: a re-run after a
    crash finds it stored and does not create a second one."""
    bom_id, params = context.subject_id, context.params
    assert bom_id is not None
    footprint_id = uuid.UUID(params["footprint_id"])
    with session_scope(context.engine) as session:
        existing = session.get(Footprint, footprint_id)
    if existing is None:
        request = (
            FootprintRequest.model_validate(params["request"]) if params.get("request") else None
        )
        try:
            compute_footprint(
                bom_id,
                context.organisation_id,
                engine=context.engine,
                background=context.background,
                actor=params.get("actor", "job"),
                request=request,
                data_dir=context.settings.data_dir,
                footprint_id=footprint_id,
                settings=context.settings,
                announce=True,  # by the run that stores it, in the same transaction
            )
        except IntegrityError:
            pass  # a concurrent run stored it first: the same footprint, stored once
    context.progress(1, 1)
    return {"footprint_id": str(footprint_id)}


def run_uncertainty(context: JobContext) -> dict[str, Any]:
    footprint_id, params = context.subject_id, context.params
    background = context.background
    assert footprint_id is not None
    with session_scope(context.engine) as session:
        repo = OrgRepository(session, context.organisation_id)
        footprint = repo.get(Footprint, footprint_id, "footprint")
        if footprint.background_version != background.version:
            raise ValueError(
                f"footprint was computed on background {footprint.background_version[:12]}, "
                f"the service runs {background.version[:12]}"
            )
        model = cell_model(
            repo,
            repo.get(Bom, footprint.bom_id, "BOM"),
            background,
            stored_request(footprint.result),
        )
    inputs = model.location_inputs
    gsd = params.get("foreground_gsd")
    result = monte_carlo(
        background,
        inputs,
        processes=model.location_processes,
        iterations=params["iterations"],
        seed=params["seed"],
        background_uncertainty=params["background"],
        # The gsd applies to BOM lines; plant energy is measured, so it stays fixed.
        foreground_gsd=[gsd if i.stage == STAGE_MATERIALS else None for i in inputs],
        progress=context.progress,
    )
    return {"footprint_id": str(footprint_id), "unit": "kg CO2e per cell", **asdict(result)}


register_job_kind(FOOTPRINT, run_footprint)
register_job_kind(UNCERTAINTY, run_uncertainty)
