"""CSV and XLSX BOM files as procurement tools export them, made from data/examples/*.json."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"
HEADER = ["Component", "Part number", "Qty", "UoM", "Source"]


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def table_rows(bom: dict[str, Any]) -> list[list[str]]:
    """One row per line: the amount '330.9 g' split into quantity and unit, as ERPs print it."""
    rows = []
    for line in bom["lines"]:
        quantity, unit = line["amount"].split(" ", 1)
        rows.append([line["component"], line["material"], quantity, unit, line.get("source", "")])
    return rows


def csv_bytes(header: list[str], rows: list[list[Any]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM


def xlsx_bytes(header: list[str], rows: list[list[Any]], *, title: str = "BOM") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(["Exported from ERP, plant 1000"])  # a title row above the header…
    sheet.append([])  # …and an empty row, as exports often have
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def metadata(bom: dict[str, Any]) -> str:
    """The JSON ``metadata`` part: the BOM without its lines."""
    return json.dumps({key: value for key, value in bom.items() if key != "lines"})
