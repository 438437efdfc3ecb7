from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, UploadFile, status

from app.access.deps import RepoDep
from app.boms import service
from app.boms.models import Bom
from app.boms.schemas import BomCreate, BomPublic, BomsPublic
from app.boms.upload import BomImportForm, import_bom
from app.core.deps import BackgroundDep, PageDep

router = APIRouter(prefix="/v1/boms", tags=["boms"])


@router.post("", response_model=BomPublic, status_code=status.HTTP_201_CREATED)
def create_bom(
    payload: BomCreate, repo: RepoDep, background: BackgroundDep, response: Response
) -> BomPublic:
    """Store an immutable cell BOM, every quantity converted to its canonical unit."""
    bom = service.create_bom(repo, payload, background)
    response.headers["Location"] = f"/v1/boms/{bom.id}"
    return service.bom_public(repo, bom)


@router.get("", response_model=BomsPublic)
def list_boms(repo: RepoDep, page: PageDep) -> BomsPublic:
    """The organisation's BOMs, newest first, a page at a time."""
    return service.list_boms(repo, page.limit, page.offset)


@router.get("/{bom_id}", response_model=BomPublic)
def get_bom(bom_id: uuid.UUID, repo: RepoDep) -> BomPublic:
    """One BOM with its normalised lines."""
    return service.bom_public(repo, repo.get(Bom, bom_id, "BOM"))


@router.post("/import", response_model=BomPublic, status_code=status.HTTP_201_CREATED)
def import_bom_file(
    file: UploadFile,
    form: Annotated[BomImportForm, Form()],
    request: Request,
    repo: RepoDep,
    background: BackgroundDep,
    response: Response,
) -> BomPublic:
    """Store a BOM whose lines come from a CSV or XLSX export (multipart upload); every problem
    is reported at once with its row and column, and nothing is stored until all are fixed."""
    bom = import_bom(
        repo,
        background,
        file.file.read(),
        filename=file.filename,
        sheet=form.sheet,
        explicit_columns=form.explicit_columns(request.query_params),
        metadata=form.metadata_object(),
        metadata_fields=form.metadata_fields(),
    )
    response.headers["Location"] = f"/v1/boms/{bom.id}"
    return service.bom_public(repo, bom)
