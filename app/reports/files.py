"""Reports rendered by jobs and kept for download (``report_file``).

``POST /v1/footprints/{id}/reports`` queues a ``report.render`` job; the job renders with the
same function as the report routes, stores the bytes with their SHA-256, and announces
``report.ready``. The file's id is fixed when the job is created and the file and the
announcement are committed together, so a job run again after a crash stores and announces
nothing twice.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from app.core.db import session_scope
from app.core.errors import AppError
from app.core.repository import OrgRepository
from app.jobs.queue import REPORT, JobContext, register_job_kind
from app.reports.model import FunctionalUnitChoice
from app.reports.models import ReportFile
from app.reports.service import MEDIA_TYPES, render
from app.webhooks.delivery import REPORT_READY, emit
from lca.background import Background


def report_job_params(
    kind: str,
    fmt: str,
    choice: FunctionalUnitChoice,
    not_assessed: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    return {
        "not_assessed": sorted(not_assessed),
        "report_id": str(uuid.uuid4()),
        "kind": kind,
        "format": fmt,
        "application": choice.application,
        "full_equivalent_cycles_per_year": choice.full_equivalent_cycles_per_year,
        "service_years": choice.service_years,
    }


def report_url(report_id: uuid.UUID) -> str:
    return f"/v1/reports/{report_id}"


def run_report(context: JobContext) -> dict[str, Any]:
    """Render and store the report (once), announce it, and point the job's result at it."""
    params = context.params
    report_id = uuid.UUID(params["report_id"])
    footprint_id = context.subject_id
    assert footprint_id is not None
    with session_scope(context.engine) as session:
        repo = OrgRepository(session, context.organisation_id, f"job:{context.job_id}")
        stored = session.get(ReportFile, report_id)
        if stored is None:
            choice = FunctionalUnitChoice(
                params["application"],
                params["full_equivalent_cycles_per_year"],
                params["service_years"],
            )
            body = render(
                repo,
                footprint_id,
                params["kind"],
                params["format"],
                choice,
                _background(context),
                context.settings.data_dir,
                frozenset(params.get("not_assessed", [])),
            )
            stored = ReportFile(
                id=report_id,
                organisation_id=context.organisation_id,
                footprint_id=footprint_id,
                kind=params["kind"],
                format=params["format"],
                media_type=MEDIA_TYPES[params["format"]],
                sha256=hashlib.sha256(body).hexdigest(),
                size=len(body),
                content=body,
            )
            repo.add(stored)
            session.flush()
            repo.audit(
                "create",
                "report_file",
                stored.id,
                {"sha256": stored.sha256},
                job_id=str(context.job_id),
            )
            emit(
                session,
                context.organisation_id,
                REPORT_READY,
                _announcement(stored),
                context.settings,
            )
        return {**_announcement(stored), "media_type": stored.media_type, "size": stored.size}


def _announcement(stored: ReportFile) -> dict[str, Any]:
    return {
        "report_id": str(stored.id),
        "footprint_id": str(stored.footprint_id),
        "kind": stored.kind,
        "format": stored.format,
        "url": report_url(stored.id),
        "sha256": stored.sha256,
    }


def _background(context: JobContext) -> Background | None:
    # Reports come from stored numbers; the background only adds data sources when loaded.
    try:
        return context.background
    except AppError:
        return None


register_job_kind(REPORT, run_report)
