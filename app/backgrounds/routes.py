"""``/v1/backgrounds``: import, list and map an organisation's own backgrounds; and
``/v1/boms/{id}/comparison``: one BOM on several backgrounds side by side."""

from __future__ import annotations

import json
import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlmodel import col
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.access.deps import RepoDep
from app.backgrounds import footprints, service
from app.backgrounds.engines import imported_engine
from app.backgrounds.models import ImportedBackground
from app.backgrounds.removal import delete_background as delete_imported
from app.backgrounds.schemas import (
    BackgroundPublic,
    BackgroundsPublic,
    ComparisonPublic,
    MappingIn,
    MappingPublic,
    SuggestionsPublic,
)
from app.backgrounds.uploads import store_upload
from app.boms.service import stored_bom
from app.core.deps import BackgroundDep, PageDep, SessionDep, SettingsDep
from app.core.errors import InvalidInput
from app.core.responses import model_response
from app.jobs.queue import job_public
from app.jobs.schemas import JobPublic
from app.jobs.submit import submit_after_commit

router = APIRouter(prefix="/v1", tags=["backgrounds"])
BACKGROUNDS_PATH = "/v1/backgrounds"
_CSV_TYPES = ("text/csv", "application/csv", "text/plain")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _row(background_id: uuid.UUID, repo: RepoDep) -> ImportedBackground:
    # A dependency: another organisation's background answers 404 before the body is read.
    return service.get_background_row(repo, background_id)


RowDep = Annotated[ImportedBackground, Depends(_row)]

_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "an ecospold2 release (zip or 7z), an openLCA "
                            "JSON-LD zip, a SimaPro CSV export, or a zip of a data/ folder",
                        },
                    },
                    "required": ["file"],
                }
            }
        },
    }
}


def _missing(loc: list[Any], msg: str) -> InvalidInput:
    return InvalidInput(msg, [{"loc": loc, "msg": msg, "type": "missing"}])


@router.post(
    "/backgrounds",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=_IMPORT_BODY,
)
async def import_background(
    request: Request,
    repo: RepoDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="default: the file's name"),
    ] = None,
    allow_unlinked: Annotated[
        bool,
        Query(
            description="accept inputs that link to nothing (dropped, listed as warnings), as "
            "bw2io does for ecoinvent's known data issues"
        ),
    ] = False,
) -> Response:
    """Upload a background and import it as a job; the job's result names the registered
    background, or every problem that stopped the import (nothing registered then)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise InvalidInput(
            f"upload the source as the multipart field 'file', not '{media}'",
            [{"loc": ["headers", "content-type"], "msg": "expected multipart/form-data"}],
        )
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise _missing(["body", "file"], "a multipart upload carries the source in 'file'")
    filename = _UNSAFE_NAME.sub("_", (file.filename or "source").rsplit("/", 1)[-1])[-120:]
    filename = filename.lstrip(".") or "source"
    name = (name or "").strip() or filename.rsplit(".", 1)[0]
    key = uuid.uuid4().hex
    # Stored under a fixed name (the suffix kept): the version hashes the file's name too, and
    # the same release uploaded as another file name is the same background.
    suffix = filename.rsplit(".", 1)[-1][:10].lower() if "." in filename else "bin"
    params: dict[str, Any] = {"upload": key, "file": f"source.{suffix}", "name": name}
    params.update(allow_unlinked=allow_unlinked, actor=repo.actor)
    # Copying a release of a GiB and the inserts block: on a worker thread, not the event loop.
    job = await run_in_threadpool(store_upload, repo, settings, file.file, params)
    submit_after_commit(session, job.id, job.kind, settings)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return model_response(job_public(job), response, status.HTTP_202_ACCEPTED)


@router.get("/backgrounds", response_model=BackgroundsPublic)
def list_backgrounds(repo: RepoDep, page: PageDep) -> BackgroundsPublic:
    """The organisation's imported backgrounds, newest first."""
    rows, total = repo.page(
        ImportedBackground,
        limit=page.limit,
        offset=page.offset,
        order_by=col(ImportedBackground.created_at).desc(),
    )
    return BackgroundsPublic(
        data=[service.background_public(r) for r in rows],
        count=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/backgrounds/{background_id}", response_model=BackgroundPublic)
def get_background(row: RowDep) -> BackgroundPublic:
    """One imported background: version, source format, size and method coverage."""
    return service.background_public(row)


@router.delete(
    "/backgrounds/{background_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "stored footprints were computed on it"}},
)
def delete_background(row: RowDep, repo: RepoDep, settings: SettingsDep) -> Response:
    """Delete an imported background: its registry row, then (once committed) its files and
    resident engine. Refused (409) while stored footprints were computed on it."""
    delete_imported(repo, row, settings)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/backgrounds/{background_id}/mapping", response_model=MappingPublic)
def get_mapping(row: RowDep, settings: SettingsDep, open_background: BackgroundDep) -> Any:
    """The background's material mapping, each entry with its unit check."""
    imported = imported_engine(settings, row.version)
    return service.mapping_public(row, imported, service.open_materials(open_background))


_MAPPING_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": MappingIn.model_json_schema()},
            "text/csv": {
                "schema": {
                    "type": "string",
                    "description": "columns material,activity (a header row first)",
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


async def _mapping_entries(request: Request) -> tuple[dict[str, str], str]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        form = await request.form()
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise _missing(["body", "file"], "a multipart upload carries the CSV in 'file'")
        return service.parse_mapping_csv(await file.read()), "csv"
    body = await request.body()
    if media in _CSV_TYPES:
        return service.parse_mapping_csv(body), "csv"
    if media not in ("application/json", ""):
        raise InvalidInput(
            f"send JSON, CSV (text/csv) or a multipart file, not '{media}'",
            [{"loc": ["headers", "content-type"], "msg": "unsupported media type"}],
        )
    try:
        payload = MappingIn.model_validate(json.loads(body or b"null"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "the body is not JSON", [{"loc": ["body"], "msg": str(exc), "type": "json_invalid"}]
        ) from None
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    return dict(payload.entries), "json"


@router.put(
    "/backgrounds/{background_id}/mapping",
    response_model=MappingPublic,
    openapi_extra=_MAPPING_BODY,
)
async def put_mapping(
    row: RowDep,
    request: Request,
    repo: RepoDep,
    settings: SettingsDep,
    open_background: BackgroundDep,
    response: Response,
) -> Response:
    """Replace the material mapping (JSON, or CSV with columns material,activity); refused
    whole, naming every unknown code and incompatible unit, when any entry is wrong."""
    entries, source = await _mapping_entries(request)
    imported = imported_engine(settings, row.version)
    materials = service.open_materials(open_background)
    service.replace_mapping(repo, row, entries, imported, materials, source)
    return model_response(service.mapping_public(row, imported, materials), response)


@router.get("/backgrounds/{background_id}/mapping/suggestions", response_model=SuggestionsPublic)
def mapping_suggestions(
    row: RowDep,
    repo: RepoDep,
    settings: SettingsDep,
    open_background: BackgroundDep,
    materials: Annotated[
        str | None,
        Query(max_length=4000, description="material codes, comma-separated"),
    ] = None,
    bom_id: Annotated[
        uuid.UUID | None, Query(description="suggest for the materials this BOM uses")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=20, description="suggestions per material")] = 5,
) -> SuggestionsPublic:
    """Candidate activities for materials, by name, reference product and location, those in
    incompatible units last."""
    wanted = [m.strip() for m in (materials or "").split(",") if m.strip()]
    if bom_id is not None:
        inputs, _ = footprints.bom_inputs(repo, bom_id, open_background)
        wanted += [i.product for i in inputs]
    if not wanted:
        raise _missing(["query", "materials"], "name the materials (or a bom_id) to suggest for")
    imported = imported_engine(settings, row.version)
    return service.suggestions(
        row, imported, service.open_materials(open_background), wanted, limit
    )


@router.get(
    "/boms/{bom_id}/comparison",
    response_model=ComparisonPublic,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def compare_backgrounds(
    bom_id: uuid.UUID,
    repo: RepoDep,
    settings: SettingsDep,
    open_background: BackgroundDep,
    response: Response,
    backgrounds: Annotated[
        str | None,
        Query(
            max_length=400,
            description="background ids (or 'open'), comma-separated; the difference is the "
            "last minus the first",
        ),
    ] = None,
    output: Annotated[str, Query(alias="format", pattern="^(json|csv)$")] = "json",
) -> Response:
    """The BOM's footprint on two to five backgrounds side by side, with the difference per
    line (secondary data: the same inputs priced on each)."""
    stored_bom(repo, bom_id)  # 404 first
    wanted = [b.strip() for b in (backgrounds or "").split(",") if b.strip()]
    comparison = footprints.compare(repo, bom_id, wanted, open_background, settings)
    if output == "csv":
        return Response(
            footprints.comparison_csv(comparison),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="comparison-{bom_id}.csv"'},
        )
    return model_response(comparison, response)
