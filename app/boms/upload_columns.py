"""Which column holds what: header synonyms of procurement/ERP exports, or names given."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.boms.upload_table import Table, file_problem
from app.core.errors import InvalidInput

FIELDS = (
    "material",
    "quantity",
    "unit",
    "component",
    "supplier",
    "supplier_site",
    "made_in",
    "kind",
    "source",
)
REQUIRED = ("material", "quantity", "component")

# Header names used by common exports (SAP, Oracle, Odoo, Excel BOM templates). Compared after
# lower-casing and dropping everything but letters and digits: "Part No." == "part_no" == "partno".
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "material": (
        "material",
        "material code",
        "material number",
        "material id",
        "item",
        "item code",
        "item number",
        "item no",
        "part",
        "part number",
        "part no",
        "part id",
        "article",
        "article number",
        "product code",
        "sku",
    ),
    "quantity": (
        "quantity",
        "qty",
        "amount",
        "quantity per cell",
        "qty per cell",
        "qty per",
        "quantity per",
        "component quantity",
        "usage",
    ),
    "unit": (
        "unit",
        "units",
        "uom",
        "unit of measure",
        "unit of measurement",
        "base unit",
        "base unit of measure",
        "bun",
    ),
    "component": (
        "component",
        "assembly",
        "sub assembly",
        "subassembly",
        "group",
        "bom group",
        "section",
        "cell component",
    ),
    "supplier": ("supplier", "supplier id", "vendor", "vendor id", "supplier uuid"),
    "supplier_site": ("supplier site", "site", "vendor site", "supplier site id", "site id"),
    "made_in": ("made in", "made in region", "production region", "origin region"),
    "kind": ("kind", "line kind"),
    "source": (
        "source",
        "reference",
        "references",
        "comment",
        "comments",
        "note",
        "notes",
        "remark",
    ),
}

# How far down a title block may push the header row.
_HEADER_SEARCH_ROWS = 10


def normalised_header(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


_SYNONYM_INDEX = {
    normalised_header(name): field_name
    for field_name, names in COLUMN_SYNONYMS.items()
    for name in names
}


def locate_header(table: Table, explicit: Mapping[str, str | None]) -> Table:
    """The table under its real header: exports often put a title or a date above it, so the
    header is the first of the top rows with two or more cells naming a known column."""
    known = set(_SYNONYM_INDEX) | {normalised_header(n) for n in explicit.values() if n}
    candidates = [(0, table.header)] + [(i + 1, cells) for i, (_, cells) in enumerate(table.rows)]
    for index, cells in candidates[:_HEADER_SEARCH_ROWS]:
        if sum(normalised_header(cell) in known for cell in cells) >= 2:
            header, rows = cells, table.rows[index:]
            break
    else:
        header, rows = table.header, table.rows
    if not rows:
        raise InvalidInput("the file has no lines", [file_problem("no rows under the header")])
    return Table(header=header, rows=rows, decimal_comma=table.decimal_comma)


def resolve_columns(header: list[str], explicit: Mapping[str, str | None]) -> dict[str, int]:
    """Index of each field's column: explicit names first, then header synonyms."""
    by_name = {normalised_header(name): index for index, name in enumerate(header) if name}
    problems: list[dict[str, Any]] = []
    columns: dict[str, int] = {}
    for field_name, name in explicit.items():
        if name is None:
            continue
        index = by_name.get(normalised_header(name))
        if index is None:
            problems.append(
                {
                    "loc": [f"{field_name}_column"],
                    "msg": f"no column '{name}' in the header {header}",
                    "type": "value_error",
                }
            )
        else:
            columns[field_name] = index
    detected: dict[str, list[int]] = {}
    used = set(columns.values())  # a column named explicitly is not also guessed for another
    for index, name in enumerate(header):
        synonym_of = _SYNONYM_INDEX.get(normalised_header(name))
        if synonym_of is not None and synonym_of not in columns and index not in used:
            detected.setdefault(synonym_of, []).append(index)
    for field_name, indexes in detected.items():
        if len(indexes) > 1:
            names = [header[i] for i in indexes]
            problems.append(
                {
                    "loc": [f"{field_name}_column"],
                    "msg": f"columns {names} could each be the {field_name}; "
                    f"name one with {field_name}_column",
                    "type": "value_error",
                }
            )
        else:
            columns[field_name] = indexes[0]
    for field_name in REQUIRED:
        if field_name not in columns and not any(
            p["loc"][0].startswith(field_name) for p in problems
        ):
            synonyms = ", ".join(f"'{s}'" for s in COLUMN_SYNONYMS[field_name][:6])
            problems.append(
                {
                    "loc": [f"{field_name}_column"],
                    "msg": f"no {field_name} column: name one with {field_name}_column or use a "
                    f"header such as {synonyms}; header is {header}",
                    "type": "missing",
                }
            )
    if problems:
        raise InvalidInput("the columns of the file cannot be mapped", problems)
    return columns
