"""Reading the rows of an uploaded CSV or XLSX file (any layout; columns are found later)."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from dataclasses import dataclass
from typing import Any

from app.core.errors import InvalidInput

# A BOM has at most 1000 lines (BomCreate); reading stops a little past that, so a small
# compressed XLSX that expands to millions of rows cannot exhaust memory.
MAX_ROWS = 1100
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """The header and the non-empty data rows of the file, each with its spreadsheet row number."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    decimal_comma: bool = False


def read_table(data: bytes, filename: str | None = None, sheet: str | None = None) -> Table:
    """The header and rows of a CSV (UTF-8, UTF-8 with BOM or Windows-1252; comma, semicolon or
    tab separated) or XLSX file; which one is told by the content, not the file name."""
    if not data.strip():
        raise InvalidInput("the file is empty", [file_problem("the file is empty")])
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, sheet)
    if filename and filename.lower().endswith((".xls", ".xlsm", ".ods")):
        raise InvalidInput(
            f"{filename}: only CSV and XLSX are read",
            [file_problem("save the sheet as .xlsx or .csv")],
        )
    return _read_csv(data)


def file_problem(msg: str) -> dict[str, Any]:
    return {"loc": ["file"], "msg": msg, "type": "value_error"}


def _read_csv(data: bytes) -> Table:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes all but five byte values
        raise InvalidInput("the file is not text", [file_problem("not UTF-8 or Windows-1252")])
    first_line = text.lstrip().splitlines()[0] if text.strip() else ""
    # The header decides the separator: Excel in continental locales writes ';' (and decimal
    # commas), some ERP exports write tabs.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for number, cells in enumerate(reader, 1):
            _check_row_count(number)
            rows.append((number, [cell.strip() for cell in cells]))
    except csv.Error as exc:
        raise InvalidInput("the CSV cannot be read", [file_problem(str(exc))]) from None
    return _table(rows, decimal_comma=delimiter == ";")


def _read_xlsx(data: bytes, sheet: str | None) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput("the XLSX file cannot be read", [file_problem(str(exc))]) from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InvalidInput(
                f"no sheet named '{sheet}'",
                [
                    {
                        "loc": ["sheet"],
                        "msg": f"sheets: {workbook.sheetnames}",
                        "type": "value_error",
                    }
                ],
            )
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), 1):
            _check_row_count(number)
            rows.append((number, [_cell_text(value) for value in values]))
    finally:
        workbook.close()
    return _table(rows, decimal_comma=False)


def _check_row_count(number: int) -> None:
    if number > MAX_ROWS:
        raise InvalidInput(
            f"the file has more than {MAX_ROWS} rows",
            [file_problem(f"a BOM has at most 1000 lines; the file goes past row {MAX_ROWS}")],
        )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value).strip()


def _table(rows: list[tuple[int, list[str]]], *, decimal_comma: bool) -> Table:
    filled = [(number, cells) for number, cells in rows if any(cells)]
    if not filled:
        raise InvalidInput("the file has no rows", [file_problem("no header row")])
    return Table(header=filled[0][1], rows=filled[1:], decimal_comma=decimal_comma)
