"""BOM pages: list and search, upload (JSON, CSV, XLSX) with every problem by row and field,
and one BOM's lines in their canonical units."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col

from app.boms.models import Bom
from app.boms.schemas import BomCreate
from app.boms.service import bom_public, create_bom
from app.boms.upload import import_bom
from app.boms.upload_columns import FIELDS, locate_header
from app.boms.upload_table import read_table
from app.core.deps import BackgroundDep, SessionDep, SettingsDep
from app.core.errors import InvalidInput
from app.footprints.models import Footprint
from app.footprints.schemas import DistributionIn, EndOfLifeIn, FootprintRequest
from app.footprints.service import store_footprint
from app.ui.deps import CallerDep, UiRepoDep, WriterDep
from app.ui.pages import UiRoute, page
from app.webhooks.events import footprint_completed
from lca.background import Background

router = APIRouter(route_class=UiRoute, include_in_schema=False)  # under /ui (app.ui.routes)

PAGE_SIZE = 25
# The form's flat fields, by where their value lands in the BOM (the metadata of a CSV/XLSX).
METADATA_FIELDS = {
    ("name",): "name",
    ("description",): "description",
    ("cell", "chemistry"): "chemistry",
    ("cell", "format"): "format",
    ("cell", "nominal_capacity"): "nominal_capacity",
    ("cell", "nominal_voltage"): "nominal_voltage",
    ("cell", "mass"): "mass",
    ("plant", "name"): "plant_name",
    ("plant", "grid_region"): "grid_region",
    ("plant", "electricity_per_cell"): "electricity_per_cell",
    ("plant", "heat_per_cell"): "heat_per_cell",
}


@router.get("/boms", response_class=HTMLResponse)
def list_boms(
    request: Request,
    caller: CallerDep,
    repo: UiRepoDep,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    """The organisation's BOMs, newest first; ``q`` keeps those whose name contains it."""
    term = q.strip()
    where = col(Bom.name).icontains(term, autoescape=True) if term else None
    rows, total = repo.page(
        Bom, limit=PAGE_SIZE, offset=offset, order_by=col(Bom.created_at).desc(), where=where
    )
    return page(
        request,
        "boms.html",
        caller=caller,
        title="BOMs",
        boms=rows,
        total=total,
        q=term,
        offset=offset,
        page_size=PAGE_SIZE,
    )


def _upload_page(
    request: Request,
    caller: Any,
    background: Background,
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    rows: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    errors = errors or []
    by_field: dict[str, list[str]] = {}
    others: list[dict[str, Any]] = []
    for error in errors:
        loc = tuple(str(part) for part in error.get("loc", []))
        field = METADATA_FIELDS.get(loc) or ("file" if loc[:1] == ("file",) else None)
        if field and "row" not in error:
            by_field.setdefault(field, []).append(error["msg"])
        elif "row" not in error:
            others.append(error)
    return page(
        request,
        "upload.html",
        status_code,
        caller=caller,
        title="Upload a BOM",
        values=values or {},
        field_errors=by_field,
        other_errors=others,
        error_count=len(errors),
        rows=rows or [],
        grid_regions=sorted(background.grid_regions),
    )


@router.get("/boms/upload", response_class=HTMLResponse)
def upload_form(request: Request, caller: CallerDep, background: BackgroundDep) -> HTMLResponse:
    """The upload form."""
    return _upload_page(request, caller, background)


def _rows_with_problems(
    data: bytes, filename: str | None, errors: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The file's rows that have problems, each with its cells and its problems by column."""
    by_row: dict[int, list[dict[str, Any]]] = {}
    for error in errors:
        if "row" in error:
            by_row.setdefault(int(error["row"]), []).append(error)
    if not by_row:
        return []
    try:
        table = locate_header(read_table(data, filename, None), dict.fromkeys(FIELDS))
    except InvalidInput:
        table = None
    cells_by_row = {row: cells for row, cells in table.rows} if table else {}
    header = table.header if table else []
    found = []
    for row, problems in sorted(by_row.items()):
        cells = cells_by_row.get(row, [])
        found.append(
            {
                "row": row,
                "cells": [
                    {
                        "column": name,
                        "value": cells[i] if i < len(cells) else "",
                        "bad": any(p["column"] == name for p in problems),
                    }
                    for i, name in enumerate(header)
                ],
                "problems": problems,
            }
        )
    return found


@router.post("/boms/upload", response_class=HTMLResponse)
def upload(
    request: Request,
    caller: WriterDep,
    repo: UiRepoDep,
    background: BackgroundDep,
    file: UploadFile,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    chemistry: Annotated[str, Form(max_length=40)] = "",
    cell_format: Annotated[str, Form(alias="format", max_length=40)] = "",
    nominal_capacity: Annotated[str, Form(max_length=100)] = "",
    nominal_voltage: Annotated[str, Form(max_length=100)] = "",
    mass: Annotated[str, Form(max_length=100)] = "",
    plant_name: Annotated[str, Form(max_length=200)] = "",
    grid_region: Annotated[str, Form(max_length=40)] = "",
    electricity_per_cell: Annotated[str, Form(max_length=100)] = "",
    heat_per_cell: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Store the uploaded BOM and show it, or show every problem next to its row and field."""
    values = {
        "name": name,
        "description": description,
        "chemistry": chemistry,
        "format": cell_format,
        "nominal_capacity": nominal_capacity,
        "nominal_voltage": nominal_voltage,
        "mass": mass,
        "plant_name": plant_name,
        "grid_region": grid_region,
        "electricity_per_cell": electricity_per_cell,
        "heat_per_cell": heat_per_cell,
    }
    data = file.file.read()
    filename = file.filename or ""
    try:
        if filename.lower().endswith(".json"):
            bom = _create_from_json(repo, background, data)
        else:
            bom = import_bom(
                repo,
                background,
                data,
                filename=filename,
                sheet=None,
                explicit_columns=dict.fromkeys(FIELDS),
                metadata={},
                metadata_fields=values,
            )
    except InvalidInput as exc:
        # Nothing of it is stored: the request's transaction rolls back with this answer.
        repo.session.rollback()
        return _upload_page(
            request,
            caller,
            background,
            values=values,
            errors=exc.errors or [{"loc": ["file"], "msg": exc.detail}],
            rows=_rows_with_problems(data, filename, exc.errors),
            status_code=422,
        )
    return RedirectResponse(f"/ui/boms/{bom.id}", status_code=303)


def _create_from_json(repo: Any, background: Background, data: bytes) -> Bom:
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("not JSON", [{"loc": ["file"], "msg": f"invalid JSON: {exc}"}]) from None
    try:
        bom_in = BomCreate.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput(
            "the BOM cannot be used",
            [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()],
        ) from None
    return create_bom(repo, bom_in, background)


@router.get("/boms/{bom_id}", response_class=HTMLResponse)
def show_bom(bom_id: uuid.UUID, request: Request, caller: CallerDep, repo: UiRepoDep) -> Response:
    """One BOM: cell, plant, its lines in canonical units and its footprints."""
    bom = repo.get(Bom, bom_id, "BOM")
    footprints = repo.children(
        Footprint, col(Footprint.bom_id), bom.id, col(Footprint.created_at).desc()
    )
    return page(
        request,
        "bom.html",
        caller=caller,
        title=bom.name,
        bom=bom_public(repo, bom),
        footprints=footprints,
    )


@router.post("/boms/{bom_id}/footprints", response_class=HTMLResponse)
def compute(
    bom_id: uuid.UUID,
    caller: WriterDep,
    repo: UiRepoDep,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundDep,
    cradle_to_grave: Annotated[bool, Form()] = False,
) -> Response:
    """Compute and store the BOM's footprint, then show it."""
    bom = repo.get(Bom, bom_id, "BOM")
    request = (
        FootprintRequest(distribution=DistributionIn(), end_of_life=EndOfLifeIn())
        if cradle_to_grave
        else None
    )
    footprint = store_footprint(
        repo, bom.id, background, request=request, data_dir=settings.data_dir
    )
    footprint_completed(session, footprint)  # sent after commit, as from the API
    return RedirectResponse(f"/ui/footprints/{footprint.id}", status_code=303)
