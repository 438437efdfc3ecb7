"""A kept batch as a file: its NDJSON answer, or one row per variant as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from app.batches.models import FootprintBatch
from app.batches.variants_csv import RESULT_COLUMNS, ndjson_lines, result_row

MEDIA_TYPES = {
    "ndjson": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def batch_file(batch: FootprintBatch, file_format: str) -> bytes:
    if file_format == "ndjson":
        return batch.answer
    if file_format == "csv":
        return _csv(_rows(batch))
    return _xlsx(_rows(batch))


def _rows(batch: FootprintBatch) -> Iterator[dict[str, Any]]:
    return (result_row(line) for line in ndjson_lines([batch.answer]))


def _csv(rows: Iterator[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESULT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return buffer.getvalue().encode("utf-8")


def _xlsx(rows: Iterator[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "variants"
    sheet.append(list(RESULT_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for column, name in enumerate(RESULT_COLUMNS, start=1):
            value = row.get(name, "")
            cell = sheet.cell(number, column, value)
            if isinstance(value, str):
                # A key or a message such as "=SUM(A1)" stays text: openpyxl would store it as
                # a formula, which a spreadsheet then evaluates.
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
