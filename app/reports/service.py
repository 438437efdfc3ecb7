"""Loading what a report needs (footprint, BOM, latest Monte Carlo run) and rendering it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlmodel import col, select

from app.models import Bom, Footprint, Job
from app.report_schemas import ComparisonReport, Declaration, FootprintReport
from app.reports.model import (
    FunctionalUnitChoice,
    build_comparison,
    build_declaration,
    build_report,
    functional_unit,
)
from app.repository import OrgRepository
from app.services.jobs import UNCERTAINTY
from lca.background import Background


def latest_uncertainty_job(repo: OrgRepository, footprint_id: uuid.UUID) -> Job | None:
    statement = (
        select(Job)
        .where(
            Job.organisation_id == repo.organisation_id,
            Job.kind == UNCERTAINTY,
            Job.subject_id == footprint_id,
            Job.status == "succeeded",
        )
        .order_by(col(Job.finished_at).desc(), col(Job.id))
    )
    return repo.session.exec(statement).first()


def footprint_report(
    repo: OrgRepository,
    footprint_id: uuid.UUID,
    choice: FunctionalUnitChoice,
    background: Background | None,
    data_dir: Path,
) -> FootprintReport:
    footprint = repo.get(Footprint, footprint_id, "footprint")
    bom = repo.get(Bom, footprint.bom_id, "BOM")
    unit = functional_unit(choice, footprint.nominal_energy_kwh, data_dir)
    # Sources come from the background the footprint was computed on, or none at all.
    own = background if background and background.version == footprint.background_version else None
    return build_report(footprint, bom, unit, latest_uncertainty_job(repo, footprint.id), own)


def declaration(report: FootprintReport) -> Declaration:
    study = f"/v1/footprints/{report.identification.footprint_id}/report?format=pdf"
    return build_declaration(report, study)


def comparison(
    repo: OrgRepository,
    footprint_ids: list[uuid.UUID],
    choice: FunctionalUnitChoice,
    background: Background | None,
    data_dir: Path,
) -> ComparisonReport:
    reports = [footprint_report(repo, i, choice, background, data_dir) for i in footprint_ids]
    return build_comparison(reports, choice.application)


def as_json(model: FootprintReport | Declaration | ComparisonReport) -> bytes:
    """Canonical JSON: fixed key order, two-space indent, trailing newline."""
    return (json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n").encode()
