"""A plant's period report: carbon per good cell by day and by area, the plant's hourly
electricity against the grid factor, and the share of purchases that instruments matched.

Rendered as XLSX (openpyxl; every text cell stored as text, so a lot id such as ``=1+1`` is never
a formula) or PDF (matplotlib, imported where it renders: an API process that never renders a
PDF never loads it).
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font

from app.core.repository import OrgRepository
from app.plants import ingest
from app.plants.factors import stored_factors
from app.plants.footprints import footprint_rows, latest_footprints, window_hours
from app.plants.models import Plant as PlantRow
from app.plants.schemas import FootprintRow
from app.plants.service import load_plant
from lca.background import Background
from lca.plant.factors import METHODS, location_vector
from lca.plant.pricing import grid_inputs
from lca.plant.series import Floats, hourly_matrix


@dataclass(frozen=True, eq=False)
class PlantReport:
    plant: PlantRow
    from_s: int
    to_s: int
    days: list[FootprintRow]
    period: FootprintRow | None
    first_hour: int
    consumption_kwh: Floats  # the plant's electricity per UTC hour (root meters)
    grid_kg_per_kwh: Floats  # location factor per hour (the annual one where none is stored)
    fallback_hours: int
    matched_share: dict[str, float]  # lots' windows, weighted by good cells


def plant_report(
    repo: OrgRepository, plant_id: uuid.UUID, from_s: int, to_s: int, background: Background
) -> PlantReport:
    row, plant = load_plant(repo, plant_id)
    zone = ZoneInfo(row.time_zone)
    latest = latest_footprints(repo, row.id, from_s, to_s)
    days = footprint_rows(latest, "day", zone)
    whole = footprint_rows(latest, "period", zone)[0] if latest else None
    first_hour, hours = from_s // 3600, window_hours(from_s, to_s)
    roots = [m.meter_id for m in plant.meters if m.parent is None and m.carrier == "electricity"]
    series = ingest.hourly_series(repo.session, row.id, first_hour, hours)
    consumption = hourly_matrix(series, roots, first_hour, hours).sum(axis=0)
    grid = grid_inputs(
        background,
        row.grid_region,
        hourly=stored_factors(repo, row.grid_region, first_hour, hours),
    )
    factors, fallback = location_vector(grid, first_hour, hours)
    good = sum(f.result["good_cells"] for f in latest)
    matched = {
        method: sum(
            f.result.get("matched_share", {}).get(method, 0.0) * f.result["good_cells"]
            for f in latest
        )
        / good
        if good
        else 0.0
        for method in ("market_annual", "market_hourly")
    }
    return PlantReport(
        row,
        from_s,
        to_s,
        days,
        whole,
        first_hour,
        consumption,
        factors,
        int(fallback.size),
        matched,
    )


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, whatever it starts with
    sheet.freeze_panes = "A2"


def report_xlsx(report: PlantReport) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "summary"
    plant = report.plant
    lines: list[list[Any]] = [
        ["plant", plant.site],
        ["grid region", plant.grid_region],
        ["time zone", plant.time_zone],
        ["from (UTC)", _iso(report.from_s)],
        ["to (UTC)", _iso(report.to_s)],
        ["hours at the annual grid factor", report.fallback_hours],
        ["matched share, annual matching", report.matched_share["market_annual"]],
        ["matched share, hourly matching", report.matched_share["market_hourly"]],
        *[["note", note] for note in plant.notes],
    ]
    if report.period is not None:
        lines += [
            ["lots", report.period.lots],
            ["good cells", report.period.good_cells],
            *[[f"kg CO2e per good cell, {m}", report.period.kg_co2e_per_cell[m]] for m in METHODS],
            [
                "static BOM estimate, kg CO2e per cell",
                report.period.static_estimate_kg_co2e_per_cell.get("location"),
            ],
        ]
    for values in lines:
        summary.append(values)
        for cell in summary[summary.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    _sheet(
        book,
        "by day",
        ["day", "lots", "good cells", *(f"kg CO2e/cell {m}" for m in METHODS), "idle share"],
        [
            [
                r.key,
                r.lots,
                r.good_cells,
                *(r.kg_co2e_per_cell[m] for m in METHODS),
                r.idle_share["location"],
            ]
            for r in report.days
        ],
    )
    if report.period is not None:
        areas = report.period.by_area
        _sheet(
            book,
            "by area",
            ["area", *(f"kg CO2e/cell {m}" for m in METHODS)],
            [
                [area, *(areas[m].get(area, 0.0) for m in METHODS)]
                for area in sorted(areas["location"])
            ],
        )
    _sheet(
        book,
        "hourly",
        ["hour (UTC)", "electricity kWh", "grid kg CO2e/kWh"],
        [
            [_iso((report.first_hour + h) * 3600), float(kwh), float(factor)]
            for h, (kwh, factor) in enumerate(
                zip(report.consumption_kwh, report.grid_kg_per_kwh, strict=True)
            )
        ],
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def report_pdf(report: PlantReport) -> bytes:
    """Two A4 pages: carbon per cell by day and by area; hourly electricity and grid factor."""
    import matplotlib  # heavy, and only needed here

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    plant = report.plant
    title = f"{plant.site} — {_iso(report.from_s)[:10]} to {_iso(report.to_s)[:10]}"
    first = Figure(figsize=(8.27, 11.69))
    first.suptitle(title, fontsize=11)
    axes = first.subplots(2, 1)
    if report.days:
        x = np.arange(len(report.days))
        for method in METHODS:
            axes[0].plot(x, [r.kg_co2e_per_cell[method] for r in report.days], label=method)
        axes[0].set_xticks(x[:: max(1, len(x) // 10)])
        axes[0].set_xticklabels([r.key for r in report.days][:: max(1, len(x) // 10)], fontsize=7)
        axes[0].legend(fontsize=7)
    axes[0].set_title("kg CO2e per good cell by day of lot end", fontsize=9)
    if report.period is not None:
        areas = report.period.by_area["location"]
        names = sorted(areas, key=lambda a: -areas[a])
        axes[1].barh(names, [areas[a] for a in names])
        axes[1].tick_params(labelsize=7)
    axes[1].set_title("plant energy, kg CO2e per good cell by area (location-based)", fontsize=9)
    second = Figure(figsize=(8.27, 11.69))
    second.suptitle(title, fontsize=11)
    top = second.subplots(1, 1)
    hours = np.arange(report.consumption_kwh.size)
    top.plot(hours, report.consumption_kwh, linewidth=0.6, color="tab:blue")
    top.set_xlabel("hour of the period (UTC)", fontsize=8)
    top.set_ylabel("electricity, kWh", fontsize=8, color="tab:blue")
    twin = top.twinx()
    twin.plot(hours, report.grid_kg_per_kwh, linewidth=0.6, color="tab:red")
    twin.set_ylabel("grid, kg CO2e/kWh (location)", fontsize=8, color="tab:red")
    top.set_title(
        f"hourly electricity and grid factor; instruments matched "
        f"{report.matched_share['market_annual']:.1%} annually, "
        f"{report.matched_share['market_hourly']:.1%} hour by hour",
        fontsize=9,
    )
    buffer = io.BytesIO()
    with PdfPages(buffer) as pdf:
        pdf.savefig(first)
        pdf.savefig(second)
    return buffer.getvalue()
