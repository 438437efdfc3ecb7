"""CSV (tidy: one row per breakdown entry) and XLSX (one sheet per breakdown) renderings.

Numbers are written as the JSON report writes them (shortest round-trip repr), so a CSV value
parses back to exactly the JSON number; XLSX cells hold real numbers, units in the headers.

Text comes partly from the caller (BOM and plant names, components, sources), so no text may
reach a spreadsheet as a formula (OWASP "CSV Injection"): an XLSX text cell is always stored as
a string, and a CSV text cell that a spreadsheet would read as a formula gets a leading quote.
The JSON report keeps the text as it was given.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.reports.schemas import ComparisonReport, FootprintReport

CSV_HEADER = ("section", "item", "quantity", "value", "unit")
Row = tuple[str, str, str, Any, str]
KG = "kg CO2e per cell"
KWH = "kg CO2e per kWh"


def report_rows(report: FootprintReport) -> Iterator[Row]:
    """Every number of the report as (section, item, quantity, value, unit)."""
    ident = report.identification
    for name, value in (
        ("footprint_id", str(ident.footprint_id)),
        ("bom_id", str(ident.bom_id)),
        ("cell_model", ident.cell_model),
        ("plant", ident.plant_name),
        ("background", f"{ident.background.name} {ident.background.version}"),
        ("method", ident.background.method),
        ("software_version", ident.software_version),
        ("input_sha256", ident.input_sha256),
        ("computed_at", ident.computed_at),
    ):
        yield ("identification", name, "text", value, "")
    unit = report.functional_unit
    yield ("functional_unit", unit.application, "energy_capacity", unit.energy_capacity_kwh, "kWh")
    yield (
        "functional_unit",
        unit.application,
        "full_equivalent_cycles_per_year",
        unit.full_equivalent_cycles_per_year,
        "1/year",
    )
    yield ("functional_unit", unit.application, "service_life", unit.service_years, "year")
    yield ("functional_unit", unit.application, "total_energy", unit.total_energy_kwh, "kWh")
    for name, value in report.results.model_dump().items():
        yield ("results", name, "value", value, _results_unit(name))
    for stage in report.stages:
        yield ("stage", stage.stage, "kg_co2e", stage.kg_co2e_per_cell, KG)
        yield (
            "stage",
            stage.stage,
            "kg_co2e_per_kwh_delivered",
            stage.kg_co2e_per_kwh_delivered,
            KWH,
        )
        yield ("stage", stage.stage, "share", stage.share, "1")
    for entry in report.components:
        yield ("component", entry.name, "kg_co2e", entry.kg_co2e_per_cell, KG)
        yield ("component", entry.name, "share", entry.share, "1")
    for line in report.lines:
        yield ("line", line.label, "amount", line.amount, line.unit)
        yield ("line", line.label, "kg_co2e", line.kg_co2e_per_cell, KG)
        if line.kg_co2e_per_cell_market_based is not None:
            yield (
                "line",
                line.label,
                "kg_co2e_market_based",
                line.kg_co2e_per_cell_market_based,
                KG,
            )
        yield ("line", line.label, "share", line.share, "1")
    for supplier in report.suppliers:
        yield ("supplier", supplier.name, "kg_co2e", supplier.kg_co2e_per_cell, KG)
        yield (
            "supplier",
            supplier.name,
            "kg_co2e_market_based",
            supplier.kg_co2e_per_cell_market_based,
            KG,
        )
    for entry in report.gases:
        yield ("gas", entry.name, "kg_co2e", entry.kg_co2e_per_cell, KG)
    for item in report.upstream:
        yield ("upstream", item.code, "kg_co2e", item.kg_co2e_per_cell, KG)
    yield ("upstream", "all other activities", "kg_co2e", report.upstream_rest_kg_co2e_per_cell, KG)
    for ruleset in report.electricity_rulesets:
        key = f"{ruleset.code}/{ruleset.version}"
        yield ("electricity_ruleset", key, "status", ruleset.status, "")
        yield ("electricity_ruleset", key, "applicable", ruleset.applicable, "")
        if ruleset.kg_co2e_per_cell is not None and ruleset.kg_co2e_per_kwh is not None:
            yield ("electricity_ruleset", key, "kg_co2e", ruleset.kg_co2e_per_cell, KG)
            yield (
                "electricity_ruleset",
                key,
                "kg_co2e_per_kwh_nominal",
                ruleset.kg_co2e_per_kwh,
                KWH,
            )
    if report.uncertainty is not None:
        mc = report.uncertainty
        for name in ("mean", "sd", "p2_5", "p97_5"):
            yield ("uncertainty", name, "kg_co2e", getattr(mc, f"{name}_kg_co2e_per_cell"), KG)


def _results_unit(name: str) -> str:
    if name.startswith("kg_co2e_per_kwh"):
        return KWH
    if name.startswith("kg_co2e_per_cell"):
        return KG
    if name.startswith("biogenic"):
        return "kg CO2 per cell"
    return "1"


# Leading characters that make Excel, LibreOffice or Google Sheets evaluate a CSV cell
# (OWASP CSV Injection: =, +, -, @, tab, carriage return).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Text that is only a number ("-12.5", "+3e-2") is read as that number, never as a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def csv_text(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet evaluates: a leading quote before a formula start."""
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_value(value: Any) -> str:
    # repr of a float is its shortest round-trip form, the same digits json.dumps writes.
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bool | int) or value is None:
        return str(value)
    return csv_text(str(value))


def _csv(header: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> bytes:
    buffer = io.StringIO()
    # RFC 4180 line ends: the writer quotes a field holding any character of the line
    # terminator, so with CRLF a carriage return inside a text is quoted too (with "\n" alone
    # Python < 3.12 leaves a bare CR unquoted, which ends the row in most readers).
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def report_csv(report: FootprintReport) -> bytes:
    return _csv(CSV_HEADER, report_rows(report))


def comparison_rows(comparison: ComparisonReport) -> Iterator[tuple[Any, ...]]:
    for column in comparison.footprints:
        ident = str(column.footprint_id)
        for name, value in column.results.model_dump().items():
            yield (ident, column.cell_model, "results", name, value, _results_unit(name))
        for stage, value in column.stages.items():
            yield (ident, column.cell_model, "stage", stage, value, KG)
        for component, value in column.components.items():
            yield (ident, column.cell_model, "component", component, value, KG)


def comparison_csv(comparison: ComparisonReport) -> bytes:
    header = ("footprint_id", "cell_model", "section", "item", "value", "unit")
    return _csv(header, comparison_rows(comparison))


def _append(sheet: Any, row: list[Any]) -> None:
    """Append ``row``; text cells hold text, whatever it starts with.

    openpyxl stores any string longer than one character that starts with "=" as a formula,
    and one that names an error ("#N/A") as an error; both are typed back to a string here
    ("inlineStr" in the file). Control characters that XML cannot carry (openpyxl refuses
    them) become U+FFFD.
    """
    text_columns = []
    values = []
    for index, value in enumerate(row, start=1):
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            text_columns.append(index)
        values.append(value)
    sheet.append(values)
    for index in text_columns:
        sheet.cell(sheet.max_row, index).data_type = "s"


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title)
    _append(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        _append(sheet, row)
    for index, name in enumerate(header, start=1):
        width = max([len(name), *(len(str(r[index - 1])) for r in rows)] or [10])
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def report_xlsx(report: FootprintReport) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    summary = [
        [f"functional unit: {quantity}" if section == "functional_unit" else name, value, unit]
        for section, name, quantity, value, unit in report_rows(report)
        if section in ("identification", "functional_unit", "results")
    ]
    _sheet(book, "summary", ["item", "value", "unit"], summary)
    _sheet(
        book,
        "stages",
        ["stage", "assessed", f"{KG}", f"{KWH} delivered", "share (1)"],
        [
            [s.label, s.assessed, s.kg_co2e_per_cell, s.kg_co2e_per_kwh_delivered, s.share]
            for s in report.stages
        ],
    )
    _sheet(
        book,
        "components",
        ["component", KG, "share (1)"],
        [[c.name, c.kg_co2e_per_cell, c.share] for c in report.components],
    )
    _sheet(
        book,
        "lines",
        [
            "line",
            "material",
            "component",
            "stage",
            "supplier",
            "amount",
            "unit",
            KG,
            f"{KG} (market-based)",
            "share (1)",
            "data quality",
        ],
        [
            [
                line.label,
                line.material,
                line.component,
                line.stage,
                line.supplier or "",
                line.amount,
                line.unit,
                line.kg_co2e_per_cell,
                line.kg_co2e_per_cell_market_based,
                line.share,
                line.data_quality,
            ]
            for line in report.lines
        ],
    )
    _sheet(
        book,
        "suppliers",
        ["supplier", f"{KG} (location-based)", f"{KG} (market-based)"],
        [[s.name, s.kg_co2e_per_cell, s.kg_co2e_per_cell_market_based] for s in report.suppliers],
    )
    _sheet(
        book,
        "gases",
        ["gas group", f"{KG} (GWP100)", "share (1)"],
        [[g.name, g.kg_co2e_per_cell, g.share] for g in report.gases]
        + [
            [
                "biogenic CO2 emission (kg CO2, reported apart)",
                report.results.biogenic_co2_emission_kg,
                "",
            ],
            [
                "biogenic CO2 removal (kg CO2, reported apart)",
                report.results.biogenic_co2_removal_kg,
                "",
            ],
        ],
    )
    _sheet(
        book,
        "upstream",
        ["activity", "name", "location", KG, "share (1)"],
        [[u.code, u.name, u.location, u.kg_co2e_per_cell, u.share] for u in report.upstream]
        + [["(all other activities)", "", "", report.upstream_rest_kg_co2e_per_cell, ""]],
    )
    _sheet(
        book,
        "rulesets",
        ["electricity ruleset", "status", "applicable", KG, f"{KWH} nominal", "explanation"],
        [
            [
                f"{e.code}/{e.version}"
                + (" (headline)" if f"{e.code}/{e.version}" == report.headline_ruleset else ""),
                e.status,
                e.applicable,
                e.kg_co2e_per_cell,
                e.kg_co2e_per_kwh,
                " | ".join(e.explanation),
            ]
            for e in report.electricity_rulesets
        ],
    )
    _sheet(
        book,
        "sources",
        ["used by", "source"],
        [[s.used_by, s.source] for s in report.sources] + [["note", n] for n in report.notes],
    )
    return _save(book)


def comparison_xlsx(comparison: ComparisonReport) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    header = ["footprint_id", "cell model", "section", "item", "value", "unit"]
    _sheet(book, "comparison", header, [list(row) for row in comparison_rows(comparison)])
    return _save(book)
