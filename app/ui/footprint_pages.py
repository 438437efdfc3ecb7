"""Footprint pages: the headline, charts with the table behind each, report downloads, and
the Monte Carlo job with its progress and distribution."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import col

from app.core.deps import BackgroundDep, SessionDep, SettingsDep
from app.core.errors import AppError, InvalidInput, NotFound
from app.core.repository import OrgRepository
from app.core.runtime import get_background
from app.core.settings import Settings
from app.footprints.models import Footprint
from app.footprints.schemas import FootprintPublic, UncertaintyIn
from app.footprints.service import footprint_public
from app.jobs.models import Job
from app.jobs.queue import UNCERTAINTY, create_job, job_public
from app.jobs.submit import submit_after_commit
from app.reports.model import FunctionalUnitChoice
from app.reports.service import FORMATS_BY_KIND, MEDIA_TYPES, render
from app.suppliers.models import Supplier
from app.ui.background_pages import ready_backgrounds
from app.ui.charts import bar_chart, histogram, quantile_bins
from app.ui.deps import CallerDep, UiRepoDep, WriterDep
from app.ui.pages import UiRoute, page
from lca.background import Background

router = APIRouter(route_class=UiRoute, include_in_schema=False)  # under /ui (app.ui.routes)
PER_CELL = "kg CO2e per cell"


def _supplier_name(repo: OrgRepository, key: str) -> str:
    try:
        return repo.get(Supplier, uuid.UUID(key), "supplier").name
    except (ValueError, NotFound):
        return key


def breakdowns(repo: OrgRepository, footprint: FootprintPublic) -> list[dict[str, Any]]:
    """The charts of a footprint, each with the rows of the table behind it."""
    by_supplier = {_supplier_name(repo, key): value for key, value in footprint.by_supplier.items()}
    upstream = [(f"{u.name} ({u.location})", u.kg_co2e) for u in footprint.upstream]
    upstream.append(("all other background activities", footprint.upstream_rest_kg_co2e))
    sections = [
        ("stage", "By life-cycle stage", footprint.by_stage),
        ("component", "By component", footprint.by_component),
        ("gas", "By greenhouse gas", footprint.by_gas),
        ("supplier", "By supplier (lines that name one)", by_supplier),
    ]
    charts = []
    for key, title, values in sections:
        rows = sorted(
            ((name.replace("_", " "), value) for name, value in values.items()),
            key=lambda row: -abs(row[1]),
        )
        charts.append(_chart(key, title, rows, footprint.kg_co2e_per_cell))
    charts.append(_chart("upstream", "Largest upstream activities (own emissions)", upstream, None))
    return charts


def _chart(
    key: str, title: str, rows: list[tuple[str, float]], total: float | None
) -> dict[str, Any]:
    base = total or sum(value for _, value in rows) or 1.0
    return {
        "key": key,
        "title": title,
        "svg": bar_chart(rows, unit=PER_CELL, title=title) if rows else None,
        "rows": [(name, value, value / base) for name, value in rows],
    }


@router.get("/footprints/{footprint_id}", response_class=HTMLResponse)
def show_footprint(
    footprint_id: uuid.UUID, request: Request, caller: CallerDep, repo: UiRepoDep
) -> Response:
    """A stored footprint: headline figures, breakdowns, downloads, Monte Carlo."""
    footprint = footprint_public(repo.get(Footprint, footprint_id, "footprint"))
    latest = _latest_uncertainty(repo, footprint_id)
    return page(
        request,
        "footprint.html",
        caller=caller,
        title=f"Footprint {str(footprint.id)[:8]}",
        footprint=footprint,
        charts=breakdowns(repo, footprint),
        formats=FORMATS_BY_KIND,
        job=_job_view(latest) if latest else None,
        other_backgrounds=ready_backgrounds(repo),
    )


def _latest_uncertainty(repo: OrgRepository, footprint_id: uuid.UUID) -> Job | None:
    jobs = repo.children(Job, col(Job.subject_id), footprint_id, col(Job.created_at).desc())
    return next((job for job in jobs if job.kind == UNCERTAINTY), None)


def _background_or_none(settings: Settings) -> Background | None:
    # Reports come from stored numbers; the background only adds its data sources when loaded.
    try:
        return get_background(settings)
    except AppError:
        return None


@router.get("/footprints/{footprint_id}/download/{kind}.{fmt}")
def download(
    footprint_id: uuid.UUID,
    kind: str,
    fmt: str,
    caller: CallerDep,
    repo: UiRepoDep,
    settings: SettingsDep,
) -> Response:
    """A footprint's report (json, csv, xlsx, pdf) or EU declaration (json, pdf) as a file."""
    if fmt not in FORMATS_BY_KIND.get(kind, ()):
        raise NotFound(f"there is no {kind} as {fmt}")
    body = render(
        repo,
        footprint_id,
        kind,
        fmt,
        FunctionalUnitChoice(),
        _background_or_none(settings),
        settings.data_dir,
    )
    name = f"{'footprint' if kind == 'report' else 'declaration'}-{footprint_id}.{fmt}"
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _job_view(job: Job) -> dict[str, Any]:
    public = job_public(job)
    view: dict[str, Any] = {
        "id": public.id,
        "status": public.status,
        "percent": round(100 * public.progress),
        "error": public.error,
        "done": public.status in ("succeeded", "failed"),
        "result": public.result,
        "svg": None,
    }
    result = public.result
    if public.status == "succeeded" and result and result.get("percentiles"):
        view["svg"] = histogram(
            quantile_bins(result["percentiles"]),
            unit=PER_CELL,
            title=f"Monte Carlo distribution ({result['iterations']} runs, seed {result['seed']})",
            marks=[("mean", result["mean"]), ("static", result["static"])],
        )
    return view


@router.post("/footprints/{footprint_id}/uncertainty", response_class=HTMLResponse)
def start_uncertainty(
    footprint_id: uuid.UUID,
    request: Request,
    caller: WriterDep,
    repo: UiRepoDep,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundDep,
    iterations: Annotated[str, Form(max_length=20)] = "1000",
    seed: Annotated[str, Form(max_length=20)] = "0",
) -> Response:
    """Start a Monte Carlo job; answers the progress panel, which polls the job."""
    footprint = repo.get(Footprint, footprint_id, "footprint")
    try:
        params = UncertaintyIn.model_validate({"iterations": iterations, "seed": seed})
    except ValidationError as exc:
        errors = exc.errors()
        return page(
            request,
            "_job.html",
            422,
            caller=caller,
            job=None,
            form_errors=[f"{e['loc'][0]}: {e['msg']}" for e in errors],
            footprint_id=footprint.id,
        )
    if footprint.background_version != background.version:
        raise InvalidInput(
            f"this footprint was computed on background {footprint.background_version[:12]}; "
            f"compute it again on {background.version[:12]} first"
        )
    job = create_job(repo, UNCERTAINTY, footprint.id, params.model_dump(), settings)
    submit_after_commit(session, job.id, job.kind, settings)
    return _job_response(request, caller, repo, job)


def _job_response(request: Request, caller: Any, repo: OrgRepository, job: Job) -> Response:
    view = _job_view(job)
    if request.headers.get("hx-request"):
        return page(request, "_job.html", caller=caller, job=view, form_errors=[])
    # Without script: a page that reloads itself until the job has ended.
    return page(request, "job.html", caller=caller, title="Monte Carlo", job=view, form_errors=[])


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def show_job(job_id: uuid.UUID, request: Request, caller: CallerDep, repo: UiRepoDep) -> Response:
    """A Monte Carlo job's progress, and its distribution once it has run."""
    job = repo.get(Job, job_id, "job")
    if job.kind != UNCERTAINTY:
        raise NotFound(f"no Monte Carlo job with id {job_id}")
    return _job_response(request, caller, repo, job)
