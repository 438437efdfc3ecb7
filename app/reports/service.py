"""Loading what a report needs (footprint, BOM, latest Monte Carlo run) and rendering it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlmodel import col, select

from app.boms.models import Bom
from app.core.repository import OrgRepository
from app.footprints.models import Footprint
from app.jobs.models import Job
from app.jobs.queue import UNCERTAINTY
from app.reports import pdf, tabular
from app.reports.model import (
    FunctionalUnitChoice,
    build_comparison,
    build_declaration,
    build_report,
    functional_unit,
)
from app.reports.schemas import ComparisonReport, Declaration, FootprintReport
from lca.background import Background

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
REPORT_FORMATS = ("json", "csv", "xlsx", "pdf")
DECLARATION_FORMATS = ("json", "pdf")
FORMATS_BY_KIND = {"report": REPORT_FORMATS, "declaration": DECLARATION_FORMATS}


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


def declaration(
    repo: OrgRepository, report: FootprintReport, not_assessed: frozenset[str] = frozenset()
) -> Declaration:
    footprint = repo.get(Footprint, report.identification.footprint_id, "footprint")
    study = f"/v1/footprints/{report.identification.footprint_id}/report?format=pdf"
    return build_declaration(report, footprint, study, not_assessed)


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


def render(
    repo: OrgRepository,
    footprint_id: uuid.UUID,
    kind: str,
    fmt: str,
    choice: FunctionalUnitChoice,
    background: Background | None,
    data_dir: Path,
    not_assessed: frozenset[str] = frozenset(),
) -> bytes:
    """The bytes of a footprint's report or declaration in ``fmt``: what the report routes
    answer, and what a report job stores."""
    if fmt not in FORMATS_BY_KIND[kind]:
        raise ValueError(f"a {kind} is not rendered as {fmt}")
    report = footprint_report(repo, footprint_id, choice, background, data_dir)
    if kind == "declaration":
        fields = declaration(repo, report, not_assessed)
        return as_json(fields) if fmt == "json" else pdf.declaration_pdf(fields)
    renderers: dict[str, Callable[[], bytes]] = {
        "json": lambda: as_json(report),
        "csv": lambda: tabular.report_csv(report),
        "xlsx": lambda: tabular.report_xlsx(report),
        "pdf": lambda: pdf.report_pdf(report, declaration(repo, report)),
    }
    return renderers[fmt]()
