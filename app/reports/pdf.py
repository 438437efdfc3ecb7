"""PDF renderings (matplotlib, A4 portrait): report (3 pages), declaration (1), comparison (1).

Figures are built with the object API (no pyplot state), so rendering is safe in worker
threads. Fonts are embedded as TrueType (``pdf.fonttype`` 42) so PDF readers extract the text,
and numbers are printed with four decimals — the tests compare them with the JSON report.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from app.reports.model import STAGES
from app.reports.schemas import ComparisonReport, Declaration, FootprintReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

STAGE_LABELS = dict(STAGES)
A4 = (8.27, 11.69)
# Typed loosely: matplotlib types rc keys as a Literal of every rc name.
STYLE: dict[Any, Any] = {"pdf.fonttype": 42, "font.size": 8.5, "font.family": "DejaVu Sans"}
STAGE_COLOURS = ("#3b6ea5", "#e08a2e", "#5a9e5a", "#8c6bb1")
PAGE_TEXT_WIDTH = 115  # characters of the 8.5 pt font across the printable width


def number(value: float) -> str:
    """How every number is printed (and found again by the tests)."""
    return f"{value:.4f}"


@cache
def _matplotlib() -> ModuleType:
    """matplotlib on its file-only backend, imported on the first rendering: only PDF reports
    need it, and importing it costs the service's start-up a second."""
    import matplotlib

    matplotlib.use("Agg")
    return matplotlib


def _page(title: str, subtitle: str) -> Figure:
    _matplotlib()
    from matplotlib.figure import Figure

    figure = Figure(figsize=A4)
    figure.text(0.06, 0.965, title, fontsize=14, weight="bold", va="top")
    figure.text(0.06, 0.94, subtitle, fontsize=8.5, color="#444444", va="top")
    return figure


def _table(axes: Axes, rows: list[list[str]], widths: list[float], header: bool = True) -> None:
    axes.axis("off")
    table = axes.table(cellText=rows, colWidths=widths, loc="upper left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    table.scale(1, 1.25)
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if header and row == 0:
            cell.set_facecolor("#e8eef5")
            cell.set_text_props(weight="bold")


def _identification_lines(report: FootprintReport) -> list[str]:
    ident = report.identification
    unit = report.functional_unit
    return [
        f"Cell: {ident.cell_model} — {ident.chemistry} {ident.cell_format}",
        f"Plant: {ident.plant_name} (grid region {ident.plant_grid_region})",
        # Two lines: with the timestamp, the two ids ran into the right margin.
        f"Footprint {ident.footprint_id} · BOM {ident.bom_id}",
        f"Computed {ident.computed_at}",
        f"Background {ident.background.name} {ident.background.version[:16]}… · "
        f"{ident.background.method} · CellCarbon {ident.software_version}",
        f"Input SHA-256 {ident.input_sha256}",
        f"Functional unit (Reg. (EU) 2023/1542 Art. 7): {number(unit.energy_capacity_kwh)} kWh × "
        f"{unit.full_equivalent_cycles_per_year:g} cycles/year × {unit.service_years:g} years = "
        f"{number(unit.total_energy_kwh)} kWh delivered ({unit.application})",
    ]


def _summary_rows(report: FootprintReport) -> list[list[str]]:
    results = report.results
    rows = [
        ["Result", "Value", "Unit"],
        ["Carbon footprint per cell", number(results.kg_co2e_per_cell), "kg CO2e"],
        ["per kWh nominal energy", number(results.kg_co2e_per_kwh_nominal), "kg CO2e/kWh"],
        [
            "per kWh delivered over the service life",
            number(results.kg_co2e_per_kwh_delivered),
            "kg CO2e/kWh",
        ],
        [
            "per cell, market-based electricity",
            number(results.kg_co2e_per_cell_market_based),
            "kg CO2e",
        ],
        ["per cell, GWP20", number(results.kg_co2e_per_cell_gwp20), "kg CO2e"],
        ["Primary data share", number(results.primary_data_share), "1"],
        *(
            [
                [
                    f"Data quality rating (PEF DQR, {report.data_quality_level})",
                    number(results.data_quality_rating),
                    "1 best - 5 worst",
                ]
            ]
            if results.data_quality_rating is not None
            else []
        ),
        ["Biogenic CO2 emission (apart)", number(results.biogenic_co2_emission_kg), "kg CO2"],
    ]
    mc = report.uncertainty
    if mc is not None:
        rows.append(
            [
                f"Monte Carlo 95% interval ({mc.iterations} runs)",
                f"{number(mc.p2_5_kg_co2e_per_cell)} – {number(mc.p97_5_kg_co2e_per_cell)}",
                "kg CO2e",
            ]
        )
    return rows


def _stage_and_gas_rows(report: FootprintReport) -> list[list[str]]:
    rows = [["Life-cycle stage", "kg CO2e/cell", "kg CO2e/kWh del.", "share"]]
    rows += [
        [
            s.label if s.assessed else f"{s.label} (not assessed)",
            number(s.kg_co2e_per_cell),
            number(s.kg_co2e_per_kwh_delivered),
            f"{s.share:.1%}",
        ]
        for s in report.stages
    ]
    rows.append(["Greenhouse gas (GWP100)", "kg CO2e/cell", "", "share"])
    rows += [
        [g.name, number(g.kg_co2e_per_cell), "", f"{g.share:.1%}"]
        for g in report.gases
        if g.kg_co2e_per_cell
    ]
    return rows


def _stage_chart(axes: Axes, report: FootprintReport) -> None:
    labels = [s.label + ("" if s.assessed else " (not assessed)") for s in report.stages]
    values = [s.kg_co2e_per_cell for s in report.stages]
    bars = axes.barh(labels[::-1], values[::-1], color=STAGE_COLOURS[::-1])
    axes.bar_label(bars, labels=[number(v) for v in values[::-1]], padding=3, fontsize=8)
    axes.set_xlabel("kg CO2e per cell")
    axes.set_title("Life-cycle stages (Regulation (EU) 2023/1542 Annex II)", loc="left")
    axes.set_xlim(0, max(values) * 1.25 or 1)
    axes.spines[["top", "right"]].set_visible(False)


def _waterfall(axes: Axes, report: FootprintReport) -> None:
    """Components as a horizontal waterfall: each bar starts where the previous one ended."""
    names = [c.name for c in report.components]
    values = [c.kg_co2e_per_cell for c in report.components]
    starts = [sum(values[:i]) for i in range(len(values))]
    axes.barh(
        names + ["total"],
        values + [sum(values)],
        left=starts + [0.0],
        color=["#3b6ea5"] * len(values) + ["#333333"],
    )
    for y, (start, value) in enumerate(zip(starts + [0.0], values + [sum(values)], strict=True)):
        axes.text(start + value, y, " " + number(value), va="center", fontsize=7.5)
    axes.invert_yaxis()
    axes.set_xlabel("kg CO2e per cell (cumulative)")
    axes.set_title("Contribution by component (waterfall)", loc="left")
    axes.set_xlim(0, sum(values) * 1.18 or 1)
    axes.spines[["top", "right"]].set_visible(False)


def _declaration_rows(declaration: Declaration) -> list[list[str]]:
    rows = [
        ["EU carbon footprint declaration", ""],
        ["Scope", "all four life-cycle stages" if declaration.complete else "INCOMPLETE"],
        ["Manufacturer", declaration.manufacturer],
        ["Battery model", declaration.battery_model],
        ["Plant location", declaration.plant_location],
        [
            "Carbon footprint (kg CO2e/kWh delivered)",
            number(declaration.carbon_footprint_kg_co2e_per_kwh),
        ],
    ]
    rows += [
        [f"  {s.label}", number(s.kg_co2e_per_kwh) + ("" if s.assessed else " (not assessed)")]
        for s in declaration.stages
    ]
    status = "" if declaration.electricity_ruleset_status == "final" else " (a draft)"
    rows += [
        ["Electricity ruleset", declaration.electricity_ruleset + status],
        ["Performance class", declaration.performance_class or "— (not yet defined by law)"],
        ["Public study", declaration.public_study],
        ["Footprint id", declaration.identifiers["footprint_id"]],
    ]
    return [[a, _clip(b, 76)] for a, b in rows]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrapped(lines: list[str], limit: int) -> Iterator[str]:
    count = 0
    for line in lines:
        for part in textwrap.wrap(line, PAGE_TEXT_WIDTH, subsequent_indent="    ") or [""]:
            if count == limit:
                yield "… (the full list is in the JSON and XLSX reports)"
                return
            count += 1
            yield part


def _pdf_pages() -> Any:
    _matplotlib()
    from matplotlib.backends.backend_pdf import PdfPages

    return PdfPages


def _render(figures: list[Figure]) -> bytes:
    buffer = io.BytesIO()
    with _matplotlib().rc_context(STYLE):
        with _pdf_pages()(buffer, metadata={"CreationDate": None, "Creator": "CellCarbon"}) as pdf:
            for figure in figures:
                pdf.savefig(figure)
    return buffer.getvalue()


def report_pdf(report: FootprintReport, declaration: Declaration) -> bytes:
    with _matplotlib().rc_context(STYLE):
        return _render(_report_figures(report, declaration))


def _report_figures(report: FootprintReport, declaration: Declaration) -> list[Figure]:
    title = f"Carbon footprint report — {_clip(report.identification.cell_model, 70)}"
    first = _page(
        "Battery cell carbon footprint report",
        f"{_clip(report.identification.cell_model, 80)} · kg CO2e, IPCC AR6 GWP100, "
        "location-based electricity unless stated",
    )
    for i, line in enumerate(_identification_lines(report)):
        first.text(0.06, 0.905 - i * 0.018, line, fontsize=8, va="top")
    _table(first.add_axes((0.06, 0.52, 0.88, 0.25)), _summary_rows(report), [0.55, 0.27, 0.18])
    _stage_chart(first.add_axes((0.36, 0.30, 0.56, 0.20)), report)
    _table(
        first.add_axes((0.06, 0.02, 0.88, 0.22)),
        _stage_and_gas_rows(report),
        [0.46, 0.18, 0.18, 0.18],
    )

    second = _page("Contributions and EU declaration", title)
    _waterfall(second.add_axes((0.22, 0.58, 0.68, 0.32)), report)
    top = sorted(report.lines, key=lambda line: -line.kg_co2e_per_cell)[:8]
    rows = [["Largest contributing lines", "kg CO2e", "share", "data quality"]] + [
        [
            _clip(line.label, 48),
            number(line.kg_co2e_per_cell),
            f"{line.share:.1%}",
            line.data_quality,
        ]
        for line in top
    ]
    _table(second.add_axes((0.06, 0.34, 0.88, 0.19)), rows, [0.50, 0.14, 0.11, 0.25])
    _table(second.add_axes((0.06, 0.03, 0.88, 0.27)), _declaration_rows(declaration), [0.38, 0.62])

    third = _page("Electricity rulesets, data quality and sources", title)
    _table(third.add_axes((0.06, 0.76, 0.88, 0.15)), _ruleset_rows(report), [0.5, 0.1, 0.2, 0.2])
    text = [f"{quality}: {len(labels)} lines" for quality, labels in report.data_quality.items()]
    text += [""] + [f"{s.used_by}: {s.source}" for s in report.sources]
    text += [""] + [f"Note: {n}" for n in report.notes]
    for i, line in enumerate(_wrapped(text, 62)):
        third.text(0.06, 0.74 - i * 0.0112, line, fontsize=7, va="top")
    return [first, second, third]


def _ruleset_rows(report: FootprintReport) -> list[list[str]]:
    """The footprint under each electricity ruleset; the headline's is marked."""
    rows = [["Electricity ruleset", "status", "kg CO2e/cell", "kg CO2e/kWh nominal"]]
    for entry in report.electricity_rulesets:
        key = f"{entry.code}/{entry.version}"
        mark = " (headline)" if key == report.headline_ruleset else ""
        rows.append(
            [
                _clip(key + mark, 60),
                entry.status,
                number(entry.kg_co2e_per_cell) if entry.kg_co2e_per_cell is not None else "n/a",
                number(entry.kg_co2e_per_kwh) if entry.kg_co2e_per_kwh is not None else "n/a",
            ]
        )
    if len(rows) == 1:
        rows.append(["(stored before electricity rulesets)", "", "", ""])
    return rows


def declaration_pdf(declaration: Declaration) -> bytes:
    with _matplotlib().rc_context(STYLE):
        page = _page(
            "Battery carbon footprint declaration",
            "Regulation (EU) 2023/1542 Article 7(1) — kg CO2e per kWh delivered",
        )
        _table(
            page.add_axes((0.06, 0.60, 0.88, 0.31)), _declaration_rows(declaration), [0.38, 0.62]
        )
        unit = declaration.functional_unit
        notes = [
            f"Scope: {declaration.scope}",
            f"Electricity: {declaration.electricity_ruleset} "
            f"({declaration.electricity_ruleset_name})"
            + ("" if declaration.electricity_ruleset_status == "final" else ", a draft"),
            f"Functional unit: {number(unit.total_energy_kwh)} kWh = "
            f"{number(unit.energy_capacity_kwh)} kWh × "
            f"{unit.full_equivalent_cycles_per_year:g} cycles/year × {unit.service_years:g} years.",
            f"Cycles: {unit.cycles_source}",
            f"Service life: {unit.years_source}",
            f"Performance class: {declaration.performance_class_note}",
            *declaration.notes,
            *[f"{key}: {value}" for key, value in declaration.identifiers.items()],
        ]
        for i, line in enumerate(_wrapped(notes, 44)):
            page.text(0.06, 0.58 - i * 0.0125, line, fontsize=7.5, va="top")
        return _render([page])


def comparison_pdf(comparison: ComparisonReport) -> bytes:
    with _matplotlib().rc_context(STYLE):
        page = _page(
            "Carbon footprint comparison",
            f"functional unit: {comparison.functional_unit_application}",
        )
        columns = comparison.footprints
        chars = int(0.64 / len(columns) * 0.88 * 595 / 5.4)
        header = ["", *[_clip(f"#{i} {c.cell_model}", chars) for i, c in enumerate(columns, 1)]]
        rows = [header, ["footprint id", *[str(c.footprint_id)[:8] for c in columns]]]
        for name, label in (
            ("kg_co2e_per_cell", "kg CO2e per cell"),
            ("kg_co2e_per_kwh_nominal", "kg CO2e/kWh nominal"),
            ("kg_co2e_per_kwh_delivered", "kg CO2e/kWh delivered"),
            ("kg_co2e_per_cell_market_based", "kg CO2e per cell, market-based"),
        ):
            rows.append([label, *[number(getattr(c.results, name)) for c in columns]])
        for stage, label in STAGE_LABELS.items():
            rows.append([label, *[number(c.stages[stage]) for c in columns]])
        width = 0.64 / len(columns)
        _table(page.add_axes((0.06, 0.62, 0.88, 0.28)), rows, [0.36] + [width] * len(columns))
        axes = page.add_axes((0.12, 0.16, 0.8, 0.38))
        bottoms = [0.0] * len(columns)
        positions = list(range(len(columns)))
        for colour, (stage, label) in zip(STAGE_COLOURS, STAGE_LABELS.items(), strict=True):
            values = [c.stages[stage] for c in columns]
            axes.bar(positions, values, bottom=bottoms, color=colour, label=label)
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        axes.set_xticks(positions, [f"#{i}" for i in range(1, len(columns) + 1)])
        axes.set_ylabel("kg CO2e per cell")
        axes.set_title("Life-cycle stages", loc="left")
        axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=2)
        axes.spines[["top", "right"]].set_visible(False)
        return _render([page])
