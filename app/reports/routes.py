"""Reports of stored footprints: JSON, CSV, XLSX, PDF; the EU declaration; comparisons.

Rendered on request (GET …/report, …/declaration), or by a job whose file is kept for download
(POST …/reports, then GET /v1/reports/{id}).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.access.deps import RepoDep
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import AppError, InvalidInput
from app.core.repository import OrgRepository
from app.core.runtime import get_background
from app.core.settings import Settings
from app.footprints.models import Footprint
from app.jobs.queue import REPORT, create_job, job_public
from app.jobs.schemas import JobPublic
from app.jobs.submit import submit_after_commit
from app.reports import pdf, tabular
from app.reports.files import report_job_params
from app.reports.model import (
    APPLICATIONS,
    DEFAULT_APPLICATION,
    OPTIONAL_STAGES,
    FunctionalUnitChoice,
    functional_unit,
)
from app.reports.models import ReportFile
from app.reports.passport import passport_section
from app.reports.schemas import ComparisonReport, Declaration, FootprintReport
from app.reports.service import (
    DECLARATION_FORMATS,
    FORMATS_BY_KIND,
    MEDIA_TYPES,
    REPORT_FORMATS,
    as_json,
    comparison,
    render,
)
from app.signing.negotiation import jose_response, wants_jose, without_jose
from app.signing.service import sign_bytes, sign_document
from lca.background import Background
from lca.ranges import PLAUSIBLE_RANGES

router = APIRouter(prefix="/v1", tags=["reports"])

MAX_COMPARED = 10


class NotAcceptable(AppError):
    """None of the media types the client accepts is one this resource is rendered in."""

    status = 406
    title = "Not acceptable"


def negotiate(requested: str | None, accept: str | None, supported: tuple[str, ...]) -> str:
    """The format named by ``?format=``, else the best match of the ``Accept`` header."""
    if requested is not None:
        if requested not in supported:
            raise InvalidInput(
                f"format {requested!r} is not supported; use one of {', '.join(supported)}",
                [{"loc": ["query", "format"], "msg": f"not one of {', '.join(supported)}"}],
            )
        return requested
    if not accept:
        return supported[0]
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, media.lower()))
    for _, _, media in sorted(ranked):
        for name in supported:
            if media in ("*/*", "application/*") or MEDIA_TYPES[name].startswith(media):
                if media == "application/*" and name == "csv":
                    continue
                return name
    types = ", ".join(MEDIA_TYPES[name].split(";")[0] for name in supported)
    raise NotAcceptable(
        f"cannot render {accept!r}; supported media types: {types} (or ?format="
        f"{'|'.join(supported)})"
    )


def _background(settings: Settings) -> Background | None:
    # Reports come from stored numbers; the background only adds data sources when loaded.
    try:
        return get_background(settings)
    except AppError:
        return None


def _download(body: bytes, fmt: str, name: str) -> Response:
    headers = {"Vary": "Accept"}
    if fmt != "json":
        headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


def _format_query(formats: tuple[str, ...]) -> object:
    # Documented as an enum; checked by negotiate(), whose 422 names the supported formats.
    return Query(
        alias="format",
        description=f"{', '.join(formats)} (overrides Accept)",
        json_schema_extra={"enum": list(formats)},
    )


ReportFormatQuery = Annotated[str | None, _format_query(REPORT_FORMATS)]
DeclarationFormatQuery = Annotated[str | None, _format_query(DECLARATION_FORMATS)]
# Accept is read from the request, not declared: OpenAPI ignores a header parameter named
# Accept (3.1, Parameter Object), and content negotiation is what the 200 content map shows.


# The cty of a signed JSON output: the media type, and which document it is.
JSON_PROFILES = {
    "report": 'application/json; profile="cellcarbon-footprint-report"',
    "declaration": 'application/json; profile="eu-battery-carbon-footprint-declaration"',
}


def _signed(
    repo: OrgRepository, settings: Settings, body: bytes, kind: str, fmt: str, name: str
) -> Response:
    """``body`` as a compact JWS by the organisation's key: a JSON document over its RFC 8785
    form, a file over its exact bytes."""
    if fmt == "json":
        token = sign_document(repo, settings, json.loads(body), JSON_PROFILES[kind])
    else:
        token = sign_bytes(repo, settings, body, MEDIA_TYPES[fmt])
    disposition = f'attachment; filename="{name}.{fmt}.jws"'
    return jose_response(token, {"Content-Disposition": disposition})


ApplicationQuery = Annotated[
    str,
    Query(
        description="functional-unit defaults: ev_m1_n1, ev_l or ev_m2_m3_n2_n3",
        json_schema_extra={"enum": list(APPLICATIONS)},
    ),
]
# Bounds and their reasons: lca.ranges.PLAUSIBLE_RANGES.
_CYCLES = PLAUSIBLE_RANGES["use.full_equivalent_cycles_per_year"]
_YEARS = PLAUSIBLE_RANGES["use.service_years"]
CyclesQuery = Annotated[
    float | None,
    Query(
        ge=_CYCLES.low,
        le=_CYCLES.high,
        allow_inf_nan=False,
        description="full equivalent cycles per year (default by application)",
    ),
]
YearsQuery = Annotated[
    float | None,
    Query(
        ge=_YEARS.low,
        le=_YEARS.high,
        allow_inf_nan=False,
        description="service life in years (default by application)",
    ),
]


def _functional_unit(
    application: ApplicationQuery = DEFAULT_APPLICATION,
    full_equivalent_cycles_per_year: CyclesQuery = None,
    service_years: YearsQuery = None,
) -> FunctionalUnitChoice:
    """The functional-unit query parameters every report route takes."""
    return FunctionalUnitChoice(application, full_equivalent_cycles_per_year, service_years)


FunctionalUnitDep = Annotated[FunctionalUnitChoice, Depends(_functional_unit)]

REPORT_RESPONSES = {
    200: {
        "content": {MEDIA_TYPES[f]: {} for f in REPORT_FORMATS},
        "description": "the report in the negotiated format (JSON schema: FootprintReport)",
    }
}


@router.get(
    "/footprints/{footprint_id}/report",
    response_model=FootprintReport,
    responses=REPORT_RESPONSES,  # type: ignore[arg-type]
)
def get_report(
    footprint_id: uuid.UUID,
    repo: RepoDep,
    settings: SettingsDep,
    choice: FunctionalUnitDep,
    request: Request,
    format_: ReportFormatQuery = None,
) -> Response:
    """The emission report of a stored footprint as JSON, CSV, XLSX or PDF; signed (a compact
    JWS of it) with ``Accept: application/jose``."""
    accept = request.headers.get("accept")
    signed = wants_jose(accept)
    fmt = negotiate(format_, without_jose(accept) if signed else accept, REPORT_FORMATS)
    body = render(
        repo, footprint_id, "report", fmt, choice, _background(settings), settings.data_dir
    )
    if signed:
        return _signed(repo, settings, body, "report", fmt, f"footprint-{footprint_id}")
    return _download(body, fmt, f"footprint-{footprint_id}")


NotAssessedQuery = Annotated[
    list[str] | None,
    Query(
        description="leave these stages out of the declaration (repeat, or comma-separate): "
        f"{', '.join(OPTIONAL_STAGES)}; it then says on its face that it is incomplete",
        # Documented as an enum per item; _not_assessed() also takes comma-separated values.
        json_schema_extra={"items": {"type": "string", "enum": list(OPTIONAL_STAGES)}},
    ),
]


def _not_assessed(values: list[str] | None) -> frozenset[str]:
    given = [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
    errors = [
        {
            "loc": ["query", "not_assessed", index],
            "msg": f"{value!r} is not a stage that may be left out; use "
            f"{' or '.join(OPTIONAL_STAGES)} (the cradle-to-gate stages are always assessed)",
            "type": "value_error",
        }
        for index, value in enumerate(given)
        if value not in OPTIONAL_STAGES
    ]
    if errors:
        raise InvalidInput("unknown stages to leave out", errors)
    return frozenset(given)


@router.get(
    "/footprints/{footprint_id}/declaration",
    response_model=Declaration,
    responses={200: {"content": {"application/json": {}, "application/pdf": {}}}},
)
def get_declaration(
    footprint_id: uuid.UUID,
    repo: RepoDep,
    settings: SettingsDep,
    choice: FunctionalUnitDep,
    request: Request,
    format_: DeclarationFormatQuery = None,
    not_assessed: NotAssessedQuery = None,
) -> Response:
    """The EU Battery Regulation carbon footprint declaration: all four life-cycle stages, with
    electricity under the regulatory ruleset (a draft), as JSON or PDF; signed (a compact JWS of
    it) with ``Accept: application/jose``."""
    accept = request.headers.get("accept")
    signed = wants_jose(accept)
    fmt = negotiate(format_, without_jose(accept) if signed else accept, DECLARATION_FORMATS)
    left_out = _not_assessed(not_assessed)
    body = render(
        repo,
        footprint_id,
        "declaration",
        fmt,
        choice,
        _background(settings),
        settings.data_dir,
        left_out,
    )
    if signed:
        return _signed(repo, settings, body, "declaration", fmt, f"declaration-{footprint_id}")
    return _download(body, fmt, f"declaration-{footprint_id}")


@router.get("/footprints/{footprint_id}/passport")
def get_passport(
    footprint_id: uuid.UUID,
    repo: RepoDep,
    settings: SettingsDep,
    choice: FunctionalUnitDep,
    request: Request,
) -> dict[str, Any]:
    """The battery passport's carbon-footprint section (Regulation (EU) 2023/1542 Annex XIII),
    from the footprint's four-stage declaration; schema in data/passport/."""
    return passport_section(
        repo,
        footprint_id,
        choice,
        _background(settings),
        settings.data_dir,
        str(request.base_url),
    )


_UUID = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_ONE_ID = re.compile(_UUID)
# What the documentation promises is exactly what _ids() accepts: 1 to MAX_COMPARED ids in
# the 8-4-4-4-12 form, comma-separated, spaces allowed around them.
IDS_PATTERN = f"^ *{_UUID} *(, *{_UUID} *){{0,{MAX_COMPARED - 1}}}$"


def _ids(text: str) -> list[uuid.UUID]:
    parts = [p.strip(" ") for p in text.split(",")]
    errors = []
    ids = []
    for index, part in enumerate(parts):
        if _ONE_ID.fullmatch(part):
            ids.append(uuid.UUID(part))
        else:
            errors.append({"loc": ["query", "ids", index], "msg": f"{part!r} is not a UUID"})
    if not 1 <= len(parts) <= MAX_COMPARED:
        errors.append(
            {"loc": ["query", "ids"], "msg": f"give 1 to {MAX_COMPARED} comma-separated ids"}
        )
    if errors:
        raise InvalidInput("invalid footprint ids", errors)
    return ids


@router.get(
    "/reports/comparison",
    response_model=ComparisonReport,
    responses=REPORT_RESPONSES,  # type: ignore[arg-type]
)
def get_comparison(
    repo: RepoDep,
    settings: SettingsDep,
    ids: Annotated[
        str,
        Query(
            description=f"comma-separated footprint ids (1-{MAX_COMPARED})",
            json_schema_extra={"pattern": IDS_PATTERN},
        ),
    ],
    choice: FunctionalUnitDep,
    request: Request,
    format_: ReportFormatQuery = None,
) -> Response:
    """Several stored footprints side by side, in the same formats as a report."""
    fmt = negotiate(format_, request.headers.get("accept"), REPORT_FORMATS)
    compared = comparison(repo, _ids(ids), choice, _background(settings), settings.data_dir)
    renderers: dict[str, Callable[[], bytes]] = {
        "json": lambda: as_json(compared),
        "csv": lambda: tabular.comparison_csv(compared),
        "xlsx": lambda: tabular.comparison_xlsx(compared),
        "pdf": lambda: pdf.comparison_pdf(compared),
    }
    return _download(renderers[fmt](), fmt, "comparison")


class ReportJobIn(BaseModel):
    """What to render: a report or the declaration, its format, and the functional unit (the
    query parameters of the report routes)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "csv", "xlsx", "pdf"] = "pdf"
    kind: Literal["report", "declaration"] = "report"
    application: str = Field(
        default=DEFAULT_APPLICATION,
        max_length=40,
        description="functional-unit defaults: ev_m1_n1, ev_l or ev_m2_m3_n2_n3",
        json_schema_extra={"enum": list(APPLICATIONS)},
    )
    full_equivalent_cycles_per_year: float | None = Field(
        default=None, ge=_CYCLES.low, le=_CYCLES.high, allow_inf_nan=False
    )
    service_years: float | None = Field(
        default=None, ge=_YEARS.low, le=_YEARS.high, allow_inf_nan=False
    )
    not_assessed: list[Literal["distribution", "end_of_life_and_recycling"]] = Field(
        default_factory=list,
        max_length=2,
        description="a declaration's stages to leave out (it then says it is incomplete)",
    )

    @model_validator(mode="after")
    def _format_of_kind(self) -> ReportJobIn:
        if self.format not in FORMATS_BY_KIND[self.kind]:
            supported = ", ".join(FORMATS_BY_KIND[self.kind])
            raise ValueError(f"a {self.kind} is rendered as {supported}, not {self.format}")
        if self.not_assessed and self.kind != "declaration":
            raise ValueError("not_assessed applies to a declaration only")
        return self


@router.post(
    "/footprints/{footprint_id}/reports",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
)
def start_report(
    footprint_id: uuid.UUID,
    repo: RepoDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    payload: ReportJobIn | None = None,
) -> JobPublic:
    """Render a report or declaration in a job; its result links the file to download."""
    wanted = payload or ReportJobIn()
    footprint = repo.get(Footprint, footprint_id, "footprint")
    choice = FunctionalUnitChoice(
        wanted.application, wanted.full_equivalent_cycles_per_year, wanted.service_years
    )
    # An unknown application is the caller's mistake: a 422 now, not a failed job later.
    functional_unit(choice, footprint.nominal_energy_kwh, settings.data_dir)
    job = create_job(
        repo,
        REPORT,
        footprint.id,
        report_job_params(wanted.kind, wanted.format, choice, frozenset(wanted.not_assessed)),
        settings,
    )
    public = job_public(job)
    # Submitted once the request commits, with its Idempotency-Key response if any.
    submit_after_commit(session, job.id, REPORT, settings)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return public


@router.get(
    "/reports/{report_file_id}",
    response_class=Response,
    responses={
        200: {
            "content": {
                **{media: {} for media in MEDIA_TYPES.values()},
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/FootprintReport"},
                            {"$ref": "#/components/schemas/Declaration"},
                        ]
                    }
                },
            },
            "description": "the rendered file (JSON: FootprintReport or Declaration); "
            "ETag is its SHA-256",
        },
        304: {"description": "If-None-Match named this file's ETag"},
    },
)
def download_report(
    report_file_id: uuid.UUID,
    repo: RepoDep,
    settings: SettingsDep,
    request: Request,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A report rendered by a job (the URL in the job's result and in report.ready); signed
    (a compact JWS of it) with ``Accept: application/jose``."""
    stored = repo.get(ReportFile, report_file_id, "report")
    if wants_jose(request.headers.get("accept")):
        name = f"{stored.kind}-{stored.footprint_id}"
        return _signed(repo, settings, stored.content, stored.kind, stored.format, name)
    etag = f'"{stored.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=31536000, immutable"}
    if if_none_match is not None:
        given = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        if etag in given or "*" in given:
            return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    if stored.format != "json":
        name = f"{stored.kind}-{stored.footprint_id}.{stored.format}"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(stored.content, media_type=stored.media_type, headers=headers)


@router.get(
    "/reports/{report_file_id}/signature",
    response_class=Response,
    responses={
        200: {
            "description": "a detached compact JWS (RFC 7515 Appendix F: header..signature)",
            "content": {
                "application/jose": {
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+$"}
                }
            },
        }
    },
)
def report_signature(report_file_id: uuid.UUID, repo: RepoDep, settings: SettingsDep) -> Response:
    """A detached JWS of a rendered report file's exact bytes, to keep beside the file
    (``cellcarbon verify FILE --signature SIG``)."""
    stored = repo.get(ReportFile, report_file_id, "report")
    media_type = JSON_PROFILES[stored.kind] if stored.format == "json" else stored.media_type
    token = sign_bytes(repo, settings, stored.content, media_type, detached=True)
    name = f"{stored.kind}-{stored.footprint_id}.{stored.format}.jws"
    return jose_response(token, {"Content-Disposition": f'attachment; filename="{name}"'})
