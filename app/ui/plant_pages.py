"""Plant pages: the list of plants, a plant's carbon per good cell over time and by area with
its lots, and its hourly electricity against the grid factor. Everything comes from the plant
slice's service functions, as the API's answers do."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, func, select

from app.boms.models import Bom
from app.core.deps import BackgroundDep
from app.core.errors import InvalidInput, NotFound
from app.core.repository import OrgRepository
from app.plants.footprints import footprint_rows, latest_footprints
from app.plants.models import LotFootprint, PlantLot
from app.plants.models import Plant as PlantRow
from app.plants.report import plant_report, report_pdf, report_xlsx
from app.plants.schemas import FootprintRow
from app.plants.service import plant_public
from app.ui.charts import bar_chart
from app.ui.deps import CallerDep, UiRepoDep
from app.ui.pages import UiRoute, page
from app.ui.series_charts import Series, line_chart
from lca.plant.factors import METHODS

router = APIRouter(route_class=UiRoute, include_in_schema=False)  # under /ui (app.ui.routes)

PER_CELL = "kg CO2e per good cell"
METHOD_NAMES = {
    "location": "location-based",
    "market_annual": "market-based, annual matching",
    "market_hourly": "market-based, hourly matching",
}
# The plant page sums lots over at most a year; the hourly view draws at most two months of
# hours (1,488 points: more would be wider than the chart has pixels).
MAX_DAYS = 366
MAX_HOURLY_DAYS = 62
# Without a period asked for, the page shows the last month of lots.
DEFAULT_DAYS = 31
DateText = Annotated[str, Query(max_length=20)]


@dataclass(frozen=True)
class Period:
    """Plant-local days ``first`` to ``last`` (both included) as UTC seconds ``(from_s, to_s]``."""

    first: date
    last: date
    from_s: int
    to_s: int

    @property
    def query(self) -> str:
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"


def _local_date(seconds: int, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(seconds, zone).date()


def _midnight(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day, time(), zone).timestamp())


def _default_days(repo: OrgRepository, plant: PlantRow, zone: ZoneInfo) -> tuple[date, date]:
    """The last ``DEFAULT_DAYS`` days that hold a lot's end (up to today without lots)."""
    last_end = repo.session.exec(
        select(func.max(PlantLot.end_s)).where(
            col(PlantLot.organisation_id) == repo.organisation_id,
            col(PlantLot.plant_id) == plant.id,
        )
    ).one()
    last = _local_date(int(last_end) - 1, zone) if last_end else datetime.now(zone).date()
    first_start = repo.session.exec(
        select(func.min(PlantLot.start_s)).where(
            col(PlantLot.organisation_id) == repo.organisation_id,
            col(PlantLot.plant_id) == plant.id,
        )
    ).one()
    first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first_start is not None:
        first = max(first, _local_date(int(first_start), zone))
    return first, last


def read_period(
    repo: OrgRepository, plant: PlantRow, start: str, end: str, max_days: int
) -> tuple[Period | None, dict[str, str], dict[str, list[str]]]:
    """The period typed into the form (plant-local dates, both days included), the values to
    show back, and the problems by field; the last month of lots when nothing is typed."""
    zone = ZoneInfo(plant.time_zone)
    values = {"from": start.strip(), "to": end.strip()}
    errors: dict[str, list[str]] = {}
    if not values["from"] and not values["to"]:
        first, last = _default_days(repo, plant, zone)
        values = {"from": first.isoformat(), "to": last.isoformat()}
    days: dict[str, date] = {}
    for name in ("from", "to"):
        try:
            days[name] = date.fromisoformat(values[name])
        except ValueError:
            errors[name] = [f"'{values[name]}' is not a date (YYYY-MM-DD)"]
    if not errors and days["to"] < days["from"]:
        errors["to"] = ["must not be before the first day"]
    if not errors and (days["to"] - days["from"]).days >= max_days:
        errors["to"] = [f"a period here is at most {max_days} days"]
    if errors:
        return None, values, errors
    first, last = days["from"], days["to"]
    period = Period(first, last, _midnight(first, zone), _midnight(last + timedelta(days=1), zone))
    return period, values, errors


def _plant(repo: OrgRepository, plant_id: uuid.UUID) -> PlantRow:
    # Another organisation's plant is a 404 page, as in the API.
    return repo.get(PlantRow, plant_id, "plant")


@router.get("/plants", response_class=HTMLResponse)
def list_plants(request: Request, caller: CallerDep, repo: UiRepoDep) -> Response:
    """The organisation's plants."""
    rows, total = repo.page(PlantRow, limit=200, offset=0, order_by=col(PlantRow.created_at))
    lots = dict(
        repo.session.exec(
            select(PlantLot.plant_id, func.count())
            .where(col(PlantLot.organisation_id) == repo.organisation_id)
            .group_by(col(PlantLot.plant_id))
        ).all()
    )
    return page(
        request,
        "plants.html",
        caller=caller,
        title="Plants",
        plants=[(plant_public(repo, row), lots.get(row.id, 0)) for row in rows],
        total=total,
    )


def _bom_names(repo: OrgRepository, bom_ids: set[uuid.UUID]) -> dict[str, str]:
    names = {}
    for bom_id in bom_ids:
        try:
            names[str(bom_id)] = repo.get(Bom, bom_id, "BOM").name
        except NotFound:  # a BOM deleted since: its id stands in
            names[str(bom_id)] = str(bom_id)
    return names


def _day_ticks(labels: Sequence[str], most: int = 10) -> list[tuple[int, str]]:
    every = max(1, math.ceil(len(labels) / most))
    return [(i, label) for i, label in enumerate(labels) if i % every == 0]


def _per_day_chart(days: list[FootprintRow]) -> Any:
    labels = [row.key[5:] for row in days]  # MM-DD
    return line_chart(
        labels,
        [Series(METHOD_NAMES[m], [row.kg_co2e_per_cell[m] for row in days]) for m in METHODS],
        unit=PER_CELL,
        x_title="day the lots ended (plant-local, month-day)",
        title="Carbon per good cell by day",
        ticks=_day_ticks(labels),
    )


def _by_line(
    latest: Sequence[LotFootprint], lots: dict[uuid.UUID, PlantLot], zone: ZoneInfo
) -> list[FootprintRow]:
    """One row per production line, weighted by good cells as the service weighs a period."""
    groups: dict[str, list[LotFootprint]] = {}
    for footprint in latest:
        lot = lots.get(footprint.plant_lot_id)
        groups.setdefault(lot.line if lot else "?", []).append(footprint)
    rows = []
    for line, group in sorted(groups.items()):
        row = footprint_rows(group, "period", zone)[0]
        rows.append(row.model_copy(update={"key": line}))
    return rows


@router.get("/plants/{plant_id}", response_class=HTMLResponse)
def show_plant(
    plant_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    repo: UiRepoDep,
    start: Annotated[str, Query(alias="from", max_length=20)] = "",
    end: Annotated[str, Query(alias="to", max_length=20)] = "",
) -> Response:
    """A plant's carbon per good cell over a period: by day, by area, by line and cell model,
    and each lot's footprint."""
    plant = _plant(repo, plant_id)
    period, values, errors = read_period(repo, plant, start, end, MAX_DAYS)
    context: dict[str, Any] = {
        "caller": caller,
        "title": plant.site,
        "plant": plant_public(repo, plant),
        "period": period,
        "values": values,
        "errors": errors,
        "methods": [(m, METHOD_NAMES[m]) for m in METHODS],
        "whole": None,
    }
    if period is None:
        return page(request, "plant.html", 422, **context)
    zone = ZoneInfo(plant.time_zone)
    latest = latest_footprints(repo, plant.id, period.from_s, period.to_s)
    lots = {
        lot.id: lot
        for lot in repo.children(PlantLot, col(PlantLot.plant_id), plant.id, col(PlantLot.end_s))
    }
    names = _bom_names(repo, {f.bom_id for f in latest})
    if latest:
        whole = footprint_rows(latest, "period", zone)[0]
        days = footprint_rows(latest, "day", zone)
        areas = sorted(whole.by_area["location"].items(), key=lambda item: -item[1])
        context |= {
            "whole": whole,
            "days": days,
            "day_chart": _per_day_chart(days),
            "areas": [
                (area, {m: whole.by_area[m].get(area, 0.0) for m in METHODS}) for area, _ in areas
            ],
            "area_chart": bar_chart(
                [(area.replace("_", " "), value) for area, value in areas],
                unit=PER_CELL,
                title="Plant energy per good cell by area (location-based)",
                digits=4,
            ),
            "months": footprint_rows(latest, "month", zone),
            "models": footprint_rows(latest, "cell_model", zone),
            "lines": _by_line(latest, lots, zone),
            "lots": [
                (row, lots.get(f.plant_lot_id), names[str(f.bom_id)], _local_iso(f.lot_end_s, zone))
                for row, f in zip(footprint_rows(latest, "lot", zone), latest, strict=True)
            ],
            "bom_names": names,
        }
    return page(request, "plant.html", **context)


def _local_iso(seconds: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(seconds, zone).strftime("%Y-%m-%d %H:%M")


@router.get("/plants/{plant_id}/hourly", response_class=HTMLResponse)
def plant_hourly(
    plant_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    repo: UiRepoDep,
    background: BackgroundDep,
    start: Annotated[str, Query(alias="from", max_length=20)] = "",
    end: Annotated[str, Query(alias="to", max_length=20)] = "",
) -> Response:
    """A plant's electricity hour by hour against the grid's location-based factor."""
    plant = _plant(repo, plant_id)
    period, values, errors = read_period(repo, plant, start, end, MAX_HOURLY_DAYS)
    context: dict[str, Any] = {
        "caller": caller,
        "title": f"{plant.site}: hourly",
        "plant": plant_public(repo, plant),
        "period": period,
        "values": values,
        "errors": errors,
    }
    if period is None:
        return page(request, "plant_hourly.html", 422, **context)
    zone = ZoneInfo(plant.time_zone)
    report = plant_report(repo, plant.id, period.from_s, period.to_s, background)
    kwh, factor = report.consumption_kwh, report.grid_kg_per_kwh
    starts = [(report.first_hour + i) * 3600 for i in range(len(kwh))]
    labels = [_local_iso(s, zone) for s in starts]
    midnights = [(i, label[5:10]) for i, label in enumerate(labels) if label.endswith("00:00")]
    every = max(1, math.ceil(len(midnights) / 10))
    chart = line_chart(
        labels,
        [Series("electricity bought", [float(v) for v in kwh])],
        unit="kWh per hour",
        x_title=f"hour (plant-local, {plant.time_zone}; ticks at midnight, month-day)",
        title="Electricity per hour against the grid factor",
        right=Series("grid factor, location-based", [float(v) for v in factor]),
        right_unit="kg CO2e per kWh",
        ticks=midnights[::every],
    )
    total_kwh = float(kwh.sum())
    kg = float((kwh * factor).sum())
    daily: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        daily.setdefault(label[:10], []).append(index)
    days = []
    for day, hours in daily.items():
        day_kwh, day_factor = kwh[hours], factor[hours]
        day_kg = float((day_kwh * day_factor).sum())
        days.append(
            {
                "day": day,
                "kwh": float(day_kwh.sum()),
                "kg": day_kg,
                "weighted": day_kg / float(day_kwh.sum()) if day_kwh.sum() else math.nan,
                "low": float(np.min(day_factor)),
                "high": float(np.max(day_factor)),
            }
        )
    context |= {
        "chart": chart,
        "hours": len(kwh),
        "total_kwh": total_kwh,
        "kg": kg,
        "weighted": kg / total_kwh if total_kwh else math.nan,
        "plain_mean": float(factor.mean()) if len(factor) else math.nan,
        "fallback_hours": report.fallback_hours,
        "matched_share": report.matched_share,
        "days": days,
    }
    return page(request, "plant_hourly.html", **context)


_MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@router.get("/plants/{plant_id}/report.{fmt}")
def plant_report_file(
    plant_id: uuid.UUID,
    fmt: str,
    caller: CallerDep,
    repo: UiRepoDep,
    background: BackgroundDep,
    start: Annotated[str, Query(alias="from", max_length=20)] = "",
    end: Annotated[str, Query(alias="to", max_length=20)] = "",
) -> Response:
    """The plant's period report as XLSX or PDF, as the API renders it."""
    plant = _plant(repo, plant_id)
    if fmt not in _MEDIA:
        raise NotFound(f"no report format '{fmt}' (xlsx or pdf)")
    period, _, errors = read_period(repo, plant, start, end, MAX_DAYS)
    if period is None:
        raise InvalidInput("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
    report = plant_report(repo, plant.id, period.from_s, period.to_s, background)
    body = report_pdf(report) if fmt == "pdf" else report_xlsx(report)
    name = f"plant-{plant.id}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.{fmt}"
    return Response(
        body,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
