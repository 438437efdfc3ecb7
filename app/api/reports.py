"""Reports of stored footprints: JSON, CSV, XLSX, PDF; the EU declaration; comparisons."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from app.api.deps import RepoDep, SettingsDep
from app.errors import AppError, InvalidInput
from app.report_schemas import ComparisonReport, Declaration, FootprintReport
from app.reports import pdf, tabular
from app.reports.model import DEFAULT_APPLICATION, FunctionalUnitChoice
from app.reports.service import as_json, comparison, declaration, footprint_report
from app.runtime import get_background
from app.settings import Settings
from lca.background import Background

router = APIRouter(prefix="/v1", tags=["reports"])

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
REPORT_FORMATS = ("json", "csv", "xlsx", "pdf")
DECLARATION_FORMATS = ("json", "pdf")
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


FormatQuery = Annotated[
    str | None, Query(alias="format", description="json, csv, xlsx or pdf (overrides Accept)")
]
AcceptHeader = Annotated[str | None, Header()]
ApplicationQuery = Annotated[
    str,
    Query(description="functional-unit defaults: ev_m1_n1, ev_l or ev_m2_m3_n2_n3"),
]
CyclesQuery = Annotated[
    float | None,
    Query(gt=0, le=10_000, description="full equivalent cycles per year (default by application)"),
]
YearsQuery = Annotated[
    float | None, Query(gt=0, le=50, description="service life in years (default by application)")
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
    format_: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """The emission report of a stored footprint as JSON, CSV, XLSX or PDF."""
    fmt = negotiate(format_, accept, REPORT_FORMATS)
    report = footprint_report(repo, footprint_id, choice, _background(settings), settings.data_dir)
    renderers: dict[str, Callable[[], bytes]] = {
        "json": lambda: as_json(report),
        "csv": lambda: tabular.report_csv(report),
        "xlsx": lambda: tabular.report_xlsx(report),
        "pdf": lambda: pdf.report_pdf(report, declaration(report)),
    }
    return _download(renderers[fmt](), fmt, f"footprint-{footprint_id}")


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
    format_: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """The EU Battery Regulation carbon footprint declaration fields, as JSON or PDF."""
    fmt = negotiate(format_, accept, DECLARATION_FORMATS)
    report = footprint_report(repo, footprint_id, choice, _background(settings), settings.data_dir)
    fields = declaration(report)
    body = as_json(fields) if fmt == "json" else pdf.declaration_pdf(fields)
    return _download(body, fmt, f"declaration-{footprint_id}")


def _ids(text: str) -> list[uuid.UUID]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    errors = []
    ids = []
    for index, part in enumerate(parts):
        try:
            ids.append(uuid.UUID(part))
        except ValueError:
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
    ids: Annotated[str, Query(description="comma-separated footprint ids (1-10)")],
    choice: FunctionalUnitDep,
    format_: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Several stored footprints side by side, in the same formats as a report."""
    fmt = negotiate(format_, accept, REPORT_FORMATS)
    compared = comparison(repo, _ids(ids), choice, _background(settings), settings.data_dir)
    renderers: dict[str, Callable[[], bytes]] = {
        "json": lambda: as_json(compared),
        "csv": lambda: tabular.comparison_csv(compared),
        "xlsx": lambda: tabular.comparison_xlsx(compared),
        "pdf": lambda: pdf.comparison_pdf(compared),
    }
    return _download(renderers[fmt](), fmt, "comparison")
