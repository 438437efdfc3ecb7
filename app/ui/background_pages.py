"""Background pages: the organisation's imported backgrounds, an upload that starts an import
job with its progress and problem report, the material mapping (suggestions and a CSV upload),
a footprint computed on another background, and one BOM on two backgrounds side by side."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.backgrounds import footprints, service
from app.backgrounds.engines import imported_engine
from app.backgrounds.models import ImportedBackground
from app.backgrounds.uploads import store_upload
from app.boms.models import Bom
from app.core.deps import BackgroundDep, SessionDep, SettingsDep
from app.core.errors import InvalidInput, NotFound
from app.core.repository import OrgRepository
from app.footprints.service import store_footprint
from app.jobs.models import Job
from app.jobs.queue import BACKGROUND_IMPORT, job_public
from app.jobs.submit import submit_after_commit
from app.ui.deps import CallerDep, FormDep, UiRepoDep, WriterDep
from app.ui.pages import UiRoute, page
from app.webhooks.events import footprint_completed

router = APIRouter(route_class=UiRoute, include_in_schema=False)  # under /ui (app.ui.routes)
UPLOAD_PATH = "/ui/backgrounds/upload"
SUGGESTED = 5  # candidate activities offered per material
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_MAPPING_FIELD = "map__"  # form field prefix: map__<material code> = activity code


def ready_backgrounds(repo: OrgRepository) -> list[ImportedBackground]:
    """The organisation's imported backgrounds a footprint can be computed on, newest first."""
    rows, _ = repo.page(
        ImportedBackground,
        limit=200,
        offset=0,
        order_by=col(ImportedBackground.created_at).desc(),
        where=col(ImportedBackground.status) == "ready",
    )
    return rows


def _coverage(row: ImportedBackground) -> str:
    """The method coverage in a few words: our flows matched and missing, the imported flows
    characterised, and greenhouse gases left without a factor."""
    coverage = row.method_coverage or {}
    found, missing = coverage.get("found") or {}, coverage.get("missing") or []
    words = [
        f"{coverage.get('method', 'IPCC AR6')}: {len(found)} of {len(found) + len(missing)} "
        f"flows matched, {coverage.get('characterised_flows', 0)} imported flows characterised"
    ]
    uncharacterised = coverage.get("uncharacterised_ghg") or []
    if uncharacterised:
        gases = "gas" if len(uncharacterised) == 1 else "gases"
        words.append(f"{len(uncharacterised)} greenhouse {gases} without a factor")
    return "; ".join(words)


def _boms(repo: OrgRepository) -> list[Bom]:
    rows, _ = repo.page(Bom, limit=200, offset=0, order_by=col(Bom.created_at).desc())
    return list(rows)


@router.get("/backgrounds", response_class=HTMLResponse)
def list_backgrounds(request: Request, caller: CallerDep, repo: UiRepoDep) -> Response:
    """The organisation's imported backgrounds, and the upload form."""
    rows, _ = repo.page(
        ImportedBackground,
        limit=200,
        offset=0,
        order_by=col(ImportedBackground.created_at).desc(),
    )
    return page(
        request,
        "backgrounds.html",
        caller=caller,
        title="Backgrounds",
        backgrounds=[(row, _coverage(row)) for row in rows],
        boms=_boms(repo),
        form_errors=[],
    )


@router.post("/backgrounds/upload", response_class=HTMLResponse)
async def upload_background(
    request: Request,
    caller: WriterDep,
    repo: UiRepoDep,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Start an import job for the uploaded source; answers the job's progress page."""
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        raise InvalidInput(
            "choose the file of a background to upload",
            [{"loc": ["body", "file"], "msg": "no file", "type": "missing"}],
        )
    filename = _UNSAFE_NAME.sub("_", file.filename.rsplit("/", 1)[-1])[-120:].lstrip(".")
    filename = filename or "source"
    given = form.get("name")
    name = (given.strip()[:200] if isinstance(given, str) else "") or filename.rsplit(".", 1)[0]
    suffix = filename.rsplit(".", 1)[-1][:10].lower() if "." in filename else "bin"
    key = uuid.uuid4().hex
    params: dict[str, Any] = {"upload": key, "file": f"source.{suffix}", "name": name}
    params.update(allow_unlinked=form.get("allow_unlinked") == "true", actor=repo.actor)
    job = await run_in_threadpool(store_upload, repo, settings, file.file, params)
    submit_after_commit(session, job.id, job.kind, settings)
    return RedirectResponse(f"/ui/imports/{job.id}", status_code=303)


def _import_view(job: Job) -> dict[str, Any]:
    public = job_public(job)
    result = public.result or {}
    return {
        "id": public.id,
        "status": public.status,
        "percent": round(100 * public.progress),
        "done": public.status in ("succeeded", "failed"),
        # The first line: the problems themselves are the table below it.
        "error": (public.error or "").split("\n", 1)[0].rstrip(":"),
        "background_id": result.get("background_id"),
        "problems": result.get("problems", []),
        "problem_count": result.get("problem_count", 0),
        "warnings": result.get("warnings", []),
        "warning_count": result.get("warning_count", 0),
        "name": job.params.get("name", ""),
    }


@router.get("/imports/{job_id}", response_class=HTMLResponse)
def show_import(
    job_id: uuid.UUID, request: Request, caller: CallerDep, repo: UiRepoDep
) -> Response:
    """An import job: its progress, then the background it registered or every problem."""
    job = repo.get(Job, job_id, "job")
    if job.kind != BACKGROUND_IMPORT:
        raise NotFound(f"no import job with id {job_id}")
    view = _import_view(job)
    if request.headers.get("hx-request"):
        return page(request, "_import.html", caller=caller, job=view)
    return page(request, "import.html", caller=caller, title="Import", job=view)


def _mapping_page(
    request: Request,
    caller: Any,
    repo: OrgRepository,
    row: ImportedBackground,
    settings: Any,
    open_background: Any,
    bom_id: uuid.UUID | None,
    status_code: int = 200,
    form_errors: list[str] | None = None,
) -> Response:
    imported = imported_engine(settings, row.version)
    materials = service.open_materials(open_background)
    mapping = service.mapping_public(row, imported, materials)
    suggested = None
    if bom_id is not None:
        inputs, _ = footprints.bom_inputs(repo, bom_id, open_background)
        wanted = [i.product for i in inputs]
        suggested = service.suggestions(row, imported, materials, wanted, SUGGESTED).data
    return page(
        request,
        "background.html",
        status_code,
        caller=caller,
        title=row.name,
        background=row,
        coverage=_coverage(row),
        mapping=mapping,
        unmapped_count=len(mapping.unmapped),
        boms=_boms(repo),
        bom_id=bom_id,
        suggested=suggested,
        field_prefix=_MAPPING_FIELD,
        form_errors=form_errors or [],
    )


@router.get("/backgrounds/{background_id}", response_class=HTMLResponse)
def show_background(
    background_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    repo: UiRepoDep,
    settings: SettingsDep,
    open_background: BackgroundDep,
    bom: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """One background and its material mapping; with ?bom=, suggestions for that BOM's
    materials."""
    row = service.get_background_row(repo, background_id)
    if bom is not None:
        repo.get(Bom, bom, "BOM")
    return _mapping_page(request, caller, repo, row, settings, open_background, bom)


def _problems(exc: InvalidInput) -> list[str]:
    listed = [
        f"{'.'.join(str(part) for part in e.get('loc', [])[-2:])}: {e.get('msg', '')}"
        for e in exc.errors
    ]
    return [exc.detail, *listed]


@router.post("/backgrounds/{background_id}/mapping", response_class=HTMLResponse)
def map_materials(
    background_id: uuid.UUID,
    request: Request,
    caller: WriterDep,
    repo: UiRepoDep,
    settings: SettingsDep,
    open_background: BackgroundDep,
    form: FormDep,
) -> Response:
    """Add the chosen activities (map__<material> fields) to the mapping; a CSV file given in
    ``file`` replaces the mapping whole. Problems are shown on the page, nothing stored."""
    row = service.get_background_row(repo, background_id)
    raw_bom = form.get("bom_id")
    bom_id = None
    if isinstance(raw_bom, str) and raw_bom:
        try:
            bom_id = repo.get(Bom, uuid.UUID(raw_bom), "BOM").id
        except ValueError:
            bom_id = None
    imported = imported_engine(settings, row.version)
    materials = service.open_materials(open_background)
    file = form.get("file")
    try:
        if isinstance(file, UploadFile) and file.filename:
            entries = service.parse_mapping_csv(file.file.read())
            source = "csv"
        else:
            entries = dict(row.mapping)
            for key, value in form.multi_items():
                if key.startswith(_MAPPING_FIELD) and isinstance(value, str) and value:
                    entries[key.removeprefix(_MAPPING_FIELD)] = value.strip()
            source = "form"
        service.replace_mapping(repo, row, entries, imported, materials, source)
    except InvalidInput as exc:
        return _mapping_page(
            request, caller, repo, row, settings, open_background, bom_id, 422, _problems(exc)
        )
    target = f"/ui/backgrounds/{row.id}" + (f"?bom={bom_id}" if bom_id else "")
    return RedirectResponse(target, status_code=303)


@router.post("/boms/{bom_id}/footprints/on-background", response_class=HTMLResponse)
def compute_on_background(
    bom_id: uuid.UUID,
    request: Request,
    caller: WriterDep,
    repo: UiRepoDep,
    session: SessionDep,
    settings: SettingsDep,
    open_background: BackgroundDep,
    background_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Compute the BOM's footprint on one of the organisation's imported backgrounds (or the
    open one); materials without a mapping are listed on a page, with the way to map them."""
    bom = repo.get(Bom, bom_id, "BOM")
    if background_id in ("", footprints.OPEN):
        footprint = store_footprint(repo, bom.id, open_background, data_dir=settings.data_dir)
    else:
        try:
            wanted = uuid.UUID(background_id)
        except ValueError:
            raise NotFound("there is no such background") from None
        row = service.get_background_row(repo, wanted)
        try:
            footprint = footprints.store_imported_footprint(
                repo, bom.id, row.id, open_background, settings
            )
        except InvalidInput as exc:
            missing = [str(e.get("loc", [""])[-1]) for e in exc.errors]
            return page(
                request,
                "unmapped.html",
                422,
                caller=caller,
                title="Materials not mapped",
                background=row,
                bom=bom,
                detail=exc.detail,
                missing=missing,
                messages=[str(e.get("msg", "")) for e in exc.errors],
            )
    footprint_completed(session, footprint)
    return RedirectResponse(f"/ui/footprints/{footprint.id}", status_code=303)


@router.get("/boms/{bom_id}/comparison", response_class=HTMLResponse)
def comparison(
    bom_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    repo: UiRepoDep,
    settings: SettingsDep,
    open_background: BackgroundDep,
    first: Annotated[str, Query(max_length=40)] = footprints.OPEN,
    second: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The BOM's secondary-data footprint on two backgrounds, line by line, with the
    difference (the second minus the first)."""
    bom = repo.get(Bom, bom_id, "BOM")
    choices = ready_backgrounds(repo)
    if not second and choices:
        second = str(choices[0].id)
    result, problems = None, []
    if second:
        try:
            result = footprints.compare(repo, bom.id, [first, second], open_background, settings)
        except InvalidInput as exc:
            problems = _problems(exc)
    return page(
        request,
        "comparison.html",
        422 if problems else 200,
        caller=caller,
        title=f"{bom.name} on two backgrounds",
        bom=bom,
        choices=choices,
        first=first,
        second=second,
        comparison=result,
        problems=problems,
        open_name=open_background.name,
    )
