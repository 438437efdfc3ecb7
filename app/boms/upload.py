"""Import a BOM from a CSV or XLSX export of a procurement/ERP tool (``POST /v1/boms/import``).

The file holds the lines, one per row, under a header row; the cell and plant data come as form
fields or a JSON ``metadata`` part. Columns are found by their header (case, spacing and
punctuation ignored) among the synonyms in :data:`app.boms.upload_columns.COLUMN_SYNONYMS`, or named
explicitly (``material_column=Part number``…). Every problem of every row is reported at once
(row number as the spreadsheet shows it, column header, reason) and nothing is stored unless all
are fixed; the BOM then goes through :func:`app.boms.service.create_bom` like a JSON BOM. Text
with control characters (a NUL, say) is refused cell by cell, as in a JSON body.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField

from app.boms.models import Bom
from app.boms.schemas import BomCreate
from app.boms.service import create_bom
from app.boms.upload_columns import FIELDS, REQUIRED, locate_header, resolve_columns
from app.boms.upload_table import Table, read_table
from app.core.errors import InvalidInput, problems_of
from app.core.json_body import body_problems
from app.core.repository import OrgRepository
from app.suppliers.service import check_bom_suppliers
from lca.background import Background
from lca.bom import BomError, normalise_bom
from lca.units import UnitError, parse_quantity

# Unit codes of UN/ECE Recommendation 20 (Codes for Units of Measure Used in International Trade,
# rev. 17, 2021) and the upper-case spellings ERP systems print (SAP base units "KG", "G", "L"),
# which Pint, being case-sensitive and SI-spelled, does not read.
ERP_UNIT_CODES: dict[str, str] = {
    "KGM": "kg",
    "KG": "kg",
    "GRM": "g",
    "G": "g",
    "GR": "g",
    "MGM": "mg",
    "MG": "mg",
    "TNE": "t",
    "TO": "t",
    "LBR": "lb",
    "LB": "lb",
    "LTR": "L",
    "L": "L",
    "MLT": "mL",
    "ML": "mL",
    "KWH": "kWh",
    "WHR": "Wh",
    "MJ": "MJ",
    "MTK": "m^2",
    "M2": "m^2",
}

_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class _Problems:
    items: list[dict[str, Any]] = field(default_factory=list)

    def row(self, row: int, column: str, what: str, msg: str) -> None:
        self.items.append(
            {
                "loc": ["file", row, column],
                "row": row,
                "column": column,
                "field": what,
                "msg": msg,
                "type": "value_error",
            }
        )

    def other(self, loc: list[Any], msg: str) -> None:
        self.items.append({"loc": loc, "msg": msg, "type": "value_error"})


def _unit_text(unit: str) -> str | None:
    """``unit`` as Pint reads it, or None when neither Pint nor the ERP code table knows it."""
    for candidate in (unit, ERP_UNIT_CODES.get(unit.upper())):
        if candidate is None:
            continue
        try:
            parse_quantity(f"1 {candidate}")
        except UnitError:
            continue
        return candidate
    return None


@dataclass
class _Lines:
    lines: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # spreadsheet row of each line


def lines_from_table(
    table: Table, columns: dict[str, int], background: Background, problems: _Problems
) -> _Lines:
    """BOM lines of the rows that are usable; a problem for every cell that is not."""
    result = _Lines()
    header = table.header

    def cell(cells: list[str], field_name: str) -> str:
        index = columns.get(field_name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for row, cells in table.rows:
        ok = True
        for field_name in REQUIRED:
            if not cell(cells, field_name):
                problems.row(row, header[columns[field_name]], field_name, "empty")
                ok = False
        material = cell(cells, "material")
        if material and material not in background.products:
            problems.row(
                row,
                header[columns["material"]],
                "material",
                f"unknown material code '{material}'; see GET /v1/materials",
            )
            ok = False
        amount = _amount(cells, row, columns, header, table.decimal_comma, problems, cell)
        if not ok or amount is None:
            continue
        line: dict[str, Any] = {
            "component": cell(cells, "component"),
            "material": material,
            "amount": amount,
        }
        for optional in ("supplier", "supplier_site", "made_in", "kind", "source"):
            if cell(cells, optional):
                line[optional] = cell(cells, optional)
        result.lines.append(line)
        result.rows.append(row)
    return result


def _amount(
    cells: list[str],
    row: int,
    columns: dict[str, int],
    header: list[str],
    decimal_comma: bool,
    problems: _Problems,
    cell: Any,
) -> str | None:
    """The line's amount as '<number> <unit>', or None after recording why it has none."""
    quantity = cell(cells, "quantity")
    if not quantity:
        return None
    quantity_column = header[columns["quantity"]]
    if "unit" not in columns:
        # No unit column: the quantity cell must carry its unit ("330.9 g").
        try:
            parse_quantity(quantity.replace(",", ".") if decimal_comma else quantity)
        except UnitError as exc:
            problems.row(row, quantity_column, "quantity", f"{exc} (the file has no unit column)")
            return None
        return quantity.replace(",", ".") if decimal_comma else quantity
    number = quantity.replace(" ", "").replace("\u00a0", "")
    if decimal_comma and "," in number:
        number = number.replace(".", "").replace(",", ".")  # 1.234,5 → 1234.5
    elif decimal_comma and _THOUSANDS.match(number):
        # "1.266" in a ';' file: 1266 with a thousands dot, or 1.266? Refuse to guess.
        problems.row(
            row,
            quantity_column,
            "quantity",
            f"'{quantity}' is ambiguous in a ';'-separated file: write {number.replace('.', '')} "
            f"or {number.replace('.', ',')}",
        )
        return None
    unit_column = header[columns["unit"]]
    unit = cell(cells, "unit")
    pint_unit = _unit_text(unit) if unit else None
    bad = False
    if not _NUMBER.match(number) or not math.isfinite(float(number)):
        hint = " (with ',' separated columns write decimals with '.')" if "," in number else ""
        problems.row(row, quantity_column, "quantity", f"'{quantity}' is not a number{hint}")
        bad = True
    if not unit:
        problems.row(row, unit_column, "unit", "empty")
        bad = True
    elif pint_unit is None:
        problems.row(row, unit_column, "unit", f"unknown unit '{unit}'")
        bad = True
    return None if bad else f"{number} {pint_unit}"


def metadata_payload(
    metadata: Mapping[str, Any], fields: Mapping[str, str | None]
) -> dict[str, Any]:
    """The BOM without its lines: the JSON ``metadata`` part, completed by the flat form fields."""
    payload: dict[str, Any] = {key: value for key, value in metadata.items() if key != "lines"}
    cell = dict(payload.get("cell") or {})
    plant = dict(payload.get("plant") or {})
    targets = {
        "name": (payload, "name"),
        "description": (payload, "description"),
        "chemistry": (cell, "chemistry"),
        "format": (cell, "format"),
        "nominal_capacity": (cell, "nominal_capacity"),
        "nominal_voltage": (cell, "nominal_voltage"),
        "mass": (cell, "mass"),
        "plant_name": (plant, "name"),
        "grid_region": (plant, "grid_region"),
        "electricity_per_cell": (plant, "electricity_per_cell"),
        "heat_per_cell": (plant, "heat_per_cell"),
    }
    for form_name, value in fields.items():
        if value is not None and value.strip():
            target, key = targets[form_name]
            target[key] = value.strip()
    payload["cell"] = cell
    payload["plant"] = plant
    return payload


def _line_problem(
    loc: list[Any], msg: str, lines: _Lines, table: Table, columns: dict[str, int]
) -> dict[str, Any]:
    """A problem of ``lines.<i>.<field>`` told as the row and column of the file."""
    position, line_field = loc[1], (loc[2] if len(loc) > 2 else None)
    if not isinstance(position, int) or position >= len(lines.rows):
        return {"loc": loc, "msg": msg, "type": "value_error"}
    target = {"amount": "unit" if "unit" in columns else "quantity"}.get(
        str(line_field), str(line_field)
    )
    column = table.header[columns[target]] if target in columns else str(line_field)
    row = lines.rows[position]
    return {
        "loc": ["file", row, column],
        "row": row,
        "column": column,
        "field": target,
        "msg": msg,
        "type": "value_error",
    }


def _translated(
    errors: list[dict[str, Any]], lines: _Lines, table: Table, columns: dict[str, int]
) -> list[dict[str, Any]]:
    out = []
    for error in errors:
        loc = list(error.get("loc", []))
        if loc and loc[0] == "lines" and len(loc) > 1:
            out.append(_line_problem(loc, error.get("msg", ""), lines, table, columns))
        else:
            out.append({"loc": loc, "msg": error.get("msg", ""), "type": error.get("type", "")})
    return out


def import_bom(
    repo: OrgRepository,
    background: Background,
    data: bytes,
    *,
    filename: str | None,
    sheet: str | None,
    explicit_columns: Mapping[str, str | None],
    metadata: Mapping[str, Any],
    metadata_fields: Mapping[str, str | None],
) -> Bom:
    """Read, check and store the BOM in ``data``; InvalidInput lists every problem."""
    table = locate_header(read_table(data, filename, sheet), explicit_columns)
    columns = resolve_columns(table.header, explicit_columns)
    problems = _Problems()
    _control_characters(table, metadata, metadata_fields, problems)
    lines = lines_from_table(table, columns, background, problems)
    payload = metadata_payload(metadata, metadata_fields)
    payload["lines"] = lines.lines
    errors = list(problems.items)
    bom_in: BomCreate | None = None
    try:
        bom_in = BomCreate.model_validate(payload)
    except ValidationError as exc:
        pydantic_errors = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()
        ]
        if not lines.lines:  # "at least one line": already said row by row
            pydantic_errors = [e for e in pydantic_errors if e["loc"] != ["lines"]]
        errors += _translated(pydantic_errors, lines, table, columns)
    if errors or bom_in is None:
        # Say now what create_bom would say once these are fixed, so every problem comes at once.
        try:
            normalise_bom(payload, background)
        except BomError as exc:
            found = problems_of(exc)
            errors += _translated(
                [e for e in found if e["loc"] != ["lines"]], lines, table, columns
            )
        supplier_lines = [(line.get("supplier"), line.get("supplier_site")) for line in lines.lines]
        errors += _translated(check_bom_suppliers(repo, supplier_lines), lines, table, columns)
        raise InvalidInput(_summary(errors), _unique(errors))
    try:
        return create_bom(repo, bom_in, background)
    except InvalidInput as exc:
        translated = _translated(exc.errors, lines, table, columns)
        raise InvalidInput(_summary(translated), translated) from None


def _control_characters(
    table: Table,
    metadata: Mapping[str, Any],
    metadata_fields: Mapping[str, str | None],
    problems: _Problems,
) -> None:
    """A problem for every header, cell and form field holding a control character: the file's
    text would otherwise be stored as it is (SQLite) or refused without a place (PostgreSQL)."""
    for problem in body_problems(list(table.header)):
        problems.other(["file", "header", problem["loc"][0] + 1], problem["msg"])
    for row, cells in table.rows:
        for problem in body_problems(cells):
            index = problem["loc"][0]
            column = table.header[index] if index < len(table.header) else f"column {index + 1}"
            problems.row(row, column, column, problem["msg"])
    for problem in body_problems(dict(metadata)):
        problems.other(["metadata", *problem["loc"]], problem["msg"])
    given = {name: value for name, value in metadata_fields.items() if value is not None}
    for problem in body_problems(given):
        problems.other(problem["loc"], problem["msg"])


def _unique(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # One problem per place: pydantic and the unit checks may both object to a missing field.
    seen: set[str] = set()
    out = []
    for error in errors:
        key = repr(error["loc"])
        if key not in seen:
            seen.add(key)
            out.append(error)
    return out


def _summary(errors: list[dict[str, Any]]) -> str:
    rows = sorted({e["row"] for e in errors if "row" in e})
    others = [".".join(map(str, e["loc"])) for e in errors if "row" not in e]
    parts = []
    if rows:
        parts.append(f"rows {', '.join(map(str, rows[:10]))}{' …' if len(rows) > 10 else ''}")
    if others:
        parts.append(", ".join(others[:5]))
    return f"the BOM file cannot be imported: {len(errors)} problems in " + "; ".join(parts)


class BomImportForm(BaseModel):
    """The form fields of ``POST /v1/boms/import`` besides the file."""

    metadata: str | None = PydanticField(
        default=None,
        description="JSON object with the BOM's name, description, cell, plant and sources "
        "(the JSON BOM without its lines); the flat fields below complete or override it",
    )
    name: str | None = None
    description: str | None = None
    chemistry: str | None = None
    format: str | None = None
    nominal_capacity: str | None = PydanticField(default=None, examples=["60 Ah"])
    nominal_voltage: str | None = PydanticField(default=None, examples=["3.65 V"])
    mass: str | None = None
    plant_name: str | None = None
    grid_region: str | None = None
    electricity_per_cell: str | None = None
    heat_per_cell: str | None = None
    sheet: str | None = PydanticField(default=None, description="XLSX sheet; default the first")
    material_column: str | None = None
    quantity_column: str | None = None
    unit_column: str | None = None
    component_column: str | None = None
    supplier_column: str | None = None
    supplier_site_column: str | None = None
    made_in_column: str | None = None
    kind_column: str | None = None
    source_column: str | None = None

    def explicit_columns(self, query: Mapping[str, str]) -> dict[str, str | None]:
        """Column names given as form fields, else as query parameters of the same name."""
        return {
            name: getattr(self, f"{name}_column") or query.get(f"{name}_column") for name in FIELDS
        }

    def metadata_fields(self) -> dict[str, str | None]:
        names = (
            "name description chemistry format nominal_capacity nominal_voltage mass "
            "plant_name grid_region electricity_per_cell heat_per_cell"
        ).split()
        return {name: getattr(self, name) for name in names}

    def metadata_object(self) -> dict[str, Any]:
        if self.metadata is None or not self.metadata.strip():
            return {}
        try:
            value = json.loads(self.metadata)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                "metadata is not JSON",
                [{"loc": ["metadata"], "msg": f"invalid JSON: {exc}", "type": "json_invalid"}],
            ) from None
        if not isinstance(value, dict):
            raise InvalidInput(
                "metadata is not a JSON object",
                [{"loc": ["metadata"], "msg": "expected a JSON object", "type": "dict_type"}],
            )
        return value
