"""``/v1/plants`` and ``/v1/grid-factors``: plants, meter readings, lots, lot footprints."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlmodel import col
from starlette.datastructures import UploadFile

from app.access.deps import RepoDep
from app.core.deps import BackgroundDep, SessionDep, SettingsDep
from app.core.errors import InvalidInput
from app.core.responses import model_response
from app.jobs.queue import create_job, job_public
from app.jobs.schemas import JobPublic
from app.jobs.submit import submit_after_commit
from app.plants import factors, footprints, instruments, opcua_sources, service
from app.plants.jobs import PLANT_FOOTPRINTS
from app.plants.models import Plant
from app.plants.report import plant_report, report_pdf, report_xlsx
from app.plants.schemas import (
    FootprintComputeRequest,
    FootprintsComputed,
    GridFactorsUploaded,
    InstrumentCreate,
    InstrumentProfile,
    InstrumentPublic,
    InstrumentsPublic,
    InstrumentUpdate,
    LotsUploaded,
    OpcUaSourceCreate,
    OpcUaSourcePublic,
    OpcUaSourcesPublic,
    PlantCreate,
    PlantFootprints,
    PlantPublic,
    PlantsPublic,
    ProfileUploaded,
    ReadingsUploaded,
)

router = APIRouter(prefix="/v1", tags=["plants"])

_CSV_TYPES = ("text/csv", "application/csv", "text/plain")


@dataclass(frozen=True)
class Upload:
    content: bytes
    kind: str  # "csv" or "json"


async def _upload(request: Request) -> Upload:
    """The body as CSV or JSON: sent as is (by its Content-Type) or as the multipart ``file``."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        form = await request.form()
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise InvalidInput(
                "a multipart upload carries its data in the field 'file'",
                [{"loc": ["body", "file"], "msg": "field required", "type": "missing"}],
            )
        content = await file.read()
        name = (file.filename or "").lower()
        kind = (
            "json" if name.endswith(".json") or file.content_type == "application/json" else "csv"
        )
    elif media == "application/json" or media in _CSV_TYPES:
        content = await request.body()
        kind = "json" if media == "application/json" else "csv"
    else:
        raise InvalidInput(
            f"send CSV (text/csv), JSON (application/json) or a multipart file, not '{media}'",
            [
                {
                    "loc": ["headers", "content-type"],
                    "msg": "unsupported media type",
                    "type": "value_error",
                }
            ],
        )
    if not content.strip():
        raise InvalidInput(
            "the upload is empty", [{"loc": ["body"], "msg": "no data", "type": "missing"}]
        )
    return Upload(content, kind)


UploadDep = Annotated[Upload, Depends(_upload)]


def _plant(plant_id: uuid.UUID, repo: RepoDep) -> Plant:
    # A dependency, so another organisation's plant answers 404 before the body or the query
    # is looked at.
    return repo.get(Plant, plant_id, "plant")


PlantDep = Annotated[Plant, Depends(_plant)]

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
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

FromQuery = Annotated[
    str,
    Query(
        alias="from",
        description="start (ISO 8601 date or time; without an offset: the plant's local time)",
        max_length=40,
    ),
]
ToQuery = Annotated[str, Query(alias="to", description="end, as `from`", max_length=40)]


def _period(zone: str, start: str, end: str) -> tuple[int, int]:
    errors = []
    bounds = []
    for name, text in (("from", start), ("to", end)):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            errors.append(
                {"loc": ["query", name], "msg": f"'{text}' is not ISO 8601", "type": "value_error"}
            )
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        bounds.append(int(moment.timestamp()))
    if not errors and bounds[1] <= bounds[0]:
        errors.append(
            {"loc": ["query", "to"], "msg": "must be after 'from'", "type": "value_error"}
        )
    if not errors and bounds[1] - bounds[0] > 5 * 366 * 86400:
        errors.append(
            {"loc": ["query", "to"], "msg": "a period is at most 5 years", "type": "value_error"}
        )
    if errors:
        raise InvalidInput("invalid period", errors)
    return bounds[0], bounds[1]


@router.post("/plants", response_model=PlantPublic, status_code=status.HTTP_201_CREATED)
def create_plant(
    payload: PlantCreate, repo: RepoDep, background: BackgroundDep, response: Response
) -> Response:
    """Register a plant with its lines, shared areas and meters (one document)."""
    row = service.create_plant(repo, payload, background)
    response.headers["Location"] = f"/v1/plants/{row.id}"
    return model_response(service.plant_public(repo, row), response, status.HTTP_201_CREATED)


@router.get("/plants", response_model=PlantsPublic)
def list_plants(
    repo: RepoDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> PlantsPublic:
    """The organisation's plants, a page at a time."""
    rows, total = repo.page(Plant, limit=limit, offset=offset, order_by=col(Plant.created_at))
    return PlantsPublic(
        data=[service.plant_public(repo, r) for r in rows], count=total, limit=limit, offset=offset
    )


@router.get("/plants/{plant_id}", response_model=PlantPublic)
def get_plant(plant: PlantDep, repo: RepoDep) -> PlantPublic:
    """One plant with its lines, areas and meters."""
    return service.plant_public(repo, plant)


@router.post(
    "/plants/{plant_id}/readings", response_model=ReadingsUploaded, openapi_extra=_UPLOAD_BODY
)
def upload_readings(
    plant: PlantDep,
    upload: UploadDep,
    repo: RepoDep,
    interval_s: Annotated[
        int | None, Query(ge=1, le=31 * 86400, description="interval of interval meters")
    ] = None,
) -> ReadingsUploaded:
    """Store meter readings (long or wide CSV, or JSON records) and answer with their quality
    report; a period sent again replaces the stored one."""
    return service.upload_readings(repo, plant.id, upload.content, upload.kind, interval_s)


@router.post("/plants/{plant_id}/lots", response_model=LotsUploaded, openapi_extra=_UPLOAD_BODY)
def upload_lots(plant: PlantDep, upload: UploadDep, repo: RepoDep) -> LotsUploaded:
    """Store production lots (CSV or JSON); each names the stored BOM of its cell model."""
    return service.upload_lots(repo, plant.id, upload.content, upload.kind)


@router.post("/grid-factors", response_model=GridFactorsUploaded, openapi_extra=_UPLOAD_BODY)
def upload_grid_factors(
    upload: UploadDep,
    repo: RepoDep,
    background: BackgroundDep,
    layout: Annotated[Literal["cellcarbon", "electricity_maps"], Query()] = "cellcarbon",
    zone: Annotated[
        list[str] | None,
        Query(
            description="Electricity Maps zone and grid region, `US-TEN-TVA:US-SRTV`", max_length=50
        ),
    ] = None,
    basis: Annotated[Literal["lca", "direct"], Query()] = "lca",
) -> GridFactorsUploaded:
    """Store hourly location-based electricity factors (our CSV or an Electricity Maps export)."""
    zones: dict[str, str] = {}
    errors = []
    for index, item in enumerate(zone or []):
        name, _, region = item.partition(":")
        if not name or not region:
            errors.append(
                {
                    "loc": ["query", "zone", index],
                    "msg": "write <Zone Id>:<grid region>",
                    "type": "value_error",
                }
            )
        zones[name] = region
    if errors:
        raise InvalidInput("invalid zones", errors)
    return factors.upload_grid_factors(repo, upload.content, layout, zones, basis, background)


@router.post(
    "/plants/{plant_id}/instruments",
    response_model=InstrumentPublic,
    status_code=status.HTTP_201_CREATED,
)
def create_instrument(
    plant: PlantDep,
    payload: InstrumentCreate,
    repo: RepoDep,
    background: BackgroundDep,
    response: Response,
) -> Response:
    """Store a PPA, granular certificates, a green tariff or on-site generation of the plant,
    optionally with its hourly profile; lot footprints use it."""
    row = instruments.create_instrument(repo, plant, payload, background)
    response.headers["Location"] = f"/v1/plants/{plant.id}/instruments/{row.id}"
    return model_response(
        instruments.instrument_public(repo, row), response, status.HTTP_201_CREATED
    )


@router.get("/plants/{plant_id}/instruments", response_model=InstrumentsPublic)
def list_instruments(plant: PlantDep, repo: RepoDep) -> InstrumentsPublic:
    """The plant's stored instruments, each with a summary of its hourly profile."""
    rows = instruments.list_instruments(repo, plant)
    data = [instruments.instrument_public(repo, row) for row in rows]
    return InstrumentsPublic(data=data, count=len(data))


@router.get("/plants/{plant_id}/instruments/{instrument_id}", response_model=InstrumentPublic)
def get_instrument(plant: PlantDep, instrument_id: uuid.UUID, repo: RepoDep) -> InstrumentPublic:
    """One stored instrument with a summary of its hourly profile."""
    row = instruments.get_instrument(repo, plant, instrument_id)
    return instruments.instrument_public(repo, row)


@router.patch("/plants/{plant_id}/instruments/{instrument_id}", response_model=InstrumentPublic)
def update_instrument(
    plant: PlantDep,
    instrument_id: uuid.UUID,
    payload: InstrumentUpdate,
    repo: RepoDep,
    background: BackgroundDep,
) -> InstrumentPublic:
    """Change an instrument's name, kind, technology or market."""
    row = instruments.update_instrument(repo, plant, instrument_id, payload, background)
    return instruments.instrument_public(repo, row)


@router.delete(
    "/plants/{plant_id}/instruments/{instrument_id}", status_code=status.HTTP_204_NO_CONTENT
)
def delete_instrument(plant: PlantDep, instrument_id: uuid.UUID, repo: RepoDep) -> Response:
    """Delete an instrument and its profile; stored lot footprints keep their figures."""
    instruments.delete_instrument(repo, plant, instrument_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/plants/{plant_id}/instruments/{instrument_id}/profile",
    response_model=ProfileUploaded,
    openapi_extra=_UPLOAD_BODY,
)
def upload_instrument_profile(
    plant: PlantDep, instrument_id: uuid.UUID, upload: UploadDep, repo: RepoDep
) -> ProfileUploaded:
    """Store an instrument's hourly kWh (CSV `hour_start_utc,kwh` or JSON); an hour sent again
    replaces its value."""
    return instruments.upload_profile(repo, plant, instrument_id, upload.content, upload.kind)


@router.get(
    "/plants/{plant_id}/instruments/{instrument_id}/profile", response_model=InstrumentProfile
)
def get_instrument_profile(
    plant: PlantDep, instrument_id: uuid.UUID, start: FromQuery, end: ToQuery, repo: RepoDep
) -> InstrumentProfile:
    """The instrument's stored hourly kWh in the period."""
    from_s, to_s = _period(plant.time_zone, start, end)
    return instruments.profile_of(repo, plant, instrument_id, from_s, to_s)


@router.post(
    "/plants/{plant_id}/opcua-sources",
    response_model=OpcUaSourcePublic,
    status_code=status.HTTP_201_CREATED,
)
def create_opcua_source(
    plant: PlantDep, payload: OpcUaSourceCreate, repo: RepoDep, response: Response
) -> Response:
    """Store an OPC UA server whose historised variables are the plant's meters; a job pulls
    their history now and then every `interval_s` seconds."""
    row = opcua_sources.create_source(repo, plant, payload)
    response.headers["Location"] = f"/v1/plants/{plant.id}/opcua-sources/{row.id}"
    return model_response(opcua_sources.source_public(row), response, status.HTTP_201_CREATED)


@router.get("/plants/{plant_id}/opcua-sources", response_model=OpcUaSourcesPublic)
def list_opcua_sources(plant: PlantDep, repo: RepoDep) -> OpcUaSourcesPublic:
    """The plant's OPC UA sources (endpoints without user and password)."""
    data = [opcua_sources.source_public(r) for r in opcua_sources.list_sources(repo, plant)]
    return OpcUaSourcesPublic(data=data, count=len(data))


@router.get("/plants/{plant_id}/opcua-sources/{source_id}", response_model=OpcUaSourcePublic)
def get_opcua_source(plant: PlantDep, source_id: uuid.UUID, repo: RepoDep) -> OpcUaSourcePublic:
    """One OPC UA source: where its pulls have reached and the last error."""
    return opcua_sources.source_public(opcua_sources.get_source(repo, plant, source_id))


@router.delete(
    "/plants/{plant_id}/opcua-sources/{source_id}", status_code=status.HTTP_204_NO_CONTENT
)
def delete_opcua_source(plant: PlantDep, source_id: uuid.UUID, repo: RepoDep) -> Response:
    """Stop pulling from an OPC UA source and forget it; stored readings stay."""
    opcua_sources.delete_source(repo, plant, source_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/plants/{plant_id}/footprints",
    response_model=FootprintsComputed,
    responses={202: {"model": JobPublic, "description": "a long period: the job computing it"}},
)
def compute_footprints(
    plant: PlantDep,
    start: FromQuery,
    end: ToQuery,
    repo: RepoDep,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundDep,
    response: Response,
    payload: FootprintComputeRequest | None = None,
) -> Any:
    """Compute the footprints of the lots that end in the period (a job beyond 45 days)."""
    from_s, to_s = _period(plant.time_zone, start, end)
    if footprints.window_hours(from_s, to_s) > footprints.SYNC_HOURS:
        params = {
            "from_s": from_s,
            "to_s": to_s,
            "request": payload.model_dump(mode="json") if payload else None,
            "actor": repo.actor,
        }
        job = create_job(repo, PLANT_FOOTPRINTS, plant.id, params)
        public = job_public(job)
        submit_after_commit(session, job.id, job.kind, settings)
        response.headers["Location"] = f"/v1/jobs/{job.id}"
        return model_response(public, response, status.HTTP_202_ACCEPTED)
    summary = footprints.compute_lot_footprints(
        repo, plant.id, from_s, to_s, background, payload, settings
    )
    return model_response(summary, response)


@router.get("/plants/{plant_id}/footprints", response_model=PlantFootprints)
def list_footprints(
    plant: PlantDep,
    start: FromQuery,
    end: ToQuery,
    repo: RepoDep,
    granularity: Annotated[Literal["lot", "day", "month", "cell_model"], Query()] = "lot",
) -> PlantFootprints:
    """Lot footprints of the period (newest versions) per lot, plant-local day or month, or cell
    model (BOM id)."""
    from_s, to_s = _period(plant.time_zone, start, end)
    rows = footprints.footprint_rows(
        footprints.latest_footprints(repo, plant.id, from_s, to_s),
        granularity,
        ZoneInfo(plant.time_zone),
    )
    return PlantFootprints(plant_id=plant.id, granularity=granularity, data=rows, count=len(rows))


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/plants/{plant_id}/report",
    response_class=Response,
    responses={
        200: {
            "description": "the report file (`format`: xlsx or pdf)",
            "content": {
                _XLSX: {"schema": {"type": "string", "format": "binary"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def get_plant_report(
    plant: PlantDep,
    start: FromQuery,
    end: ToQuery,
    repo: RepoDep,
    background: BackgroundDep,
    file_format: Annotated[Literal["xlsx", "pdf"], Query(alias="format")] = "xlsx",
) -> Response:
    """The plant's period report: carbon per cell by day and area, hourly electricity against
    the grid factor, the share instruments matched (XLSX or PDF)."""
    from_s, to_s = _period(plant.time_zone, start, end)
    report = plant_report(repo, plant.id, from_s, to_s, background)
    if file_format == "pdf":
        return Response(report_pdf(report), media_type="application/pdf")
    return Response(report_xlsx(report), media_type=_XLSX)
