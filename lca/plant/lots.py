"""Production lots from the manufacturing execution system (CSV or JSON records).

A lot is one cell model run on one line from ``start`` to ``end``: ``good_cells`` passed, and
``scrapped_cells`` were scrapped (at ``scrap_step``). Times follow the rules of
:mod:`lca.plant.readings` (an offset, or local time of the plant's zone).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lca.plant.model import Plant, PlantDataError, Problem

FIELDS = ("lot_id", "cell_model", "line", "start", "end", "good_cells", "scrapped_cells")


@dataclass(frozen=True)
class Lot:
    lot_id: str
    cell_model: str  # the BOM id or code of the cell model
    line: str
    start_s: int  # UTC epoch seconds
    end_s: int
    good_cells: int
    scrapped_cells: int = 0
    scrap_step: str = ""

    @property
    def cells(self) -> int:
        """Cells that went through the line, good or scrapped."""
        return self.good_cells + self.scrapped_cells


def parse_lots_csv(text: str, plant: Plant) -> list[Lot]:
    """Lots from CSV with the columns of :data:`FIELDS` (and optionally ``scrap_step``)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = set(FIELDS) - set(reader.fieldnames or ())
    if missing:
        raise PlantDataError([(("header",), f"missing columns: {', '.join(sorted(missing))}")])
    return lots_from_records(list(reader), plant)


def parse_lots_json(text: str | bytes, plant: Plant) -> list[Lot]:
    """Lots from a JSON list of objects with the keys of :data:`FIELDS`."""
    try:
        records = json.loads(text)
    except ValueError as exc:
        raise PlantDataError([((), f"not JSON: {exc}")]) from None
    if not isinstance(records, list):
        raise PlantDataError([((), "expected a list of lots")])
    return lots_from_records(records, plant)


def lots_from_records(records: list[Any], plant: Plant) -> list[Lot]:
    """Check every record and build the lots; raise :class:`PlantDataError` with every problem."""
    problems: list[Problem] = []
    lines = {line.line_id for line in plant.lines}
    lots: list[Lot] = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            problems.append(((index,), "a lot is an object"))
            continue
        before = len(problems)
        lot_id = str(record.get("lot_id") or "").strip()
        if not lot_id:
            problems.append(((index, "lot_id"), "a lot id is required"))
        elif lot_id in seen:
            problems.append(((index, "lot_id"), f"duplicate lot '{lot_id}'"))
        seen.add(lot_id)
        model = str(record.get("cell_model") or "").strip()
        if not model:
            problems.append(((index, "cell_model"), "a cell model (BOM id or code) is required"))
        line = str(record.get("line") or "").strip()
        if line not in lines:
            problems.append(((index, "line"), f"unknown line '{line}'"))
        start = _time(record.get("start"), plant, (index, "start"), problems)
        end = _time(record.get("end"), plant, (index, "end"), problems)
        if start is not None and end is not None and end <= start:
            problems.append(((index, "end"), "the lot ends before (or when) it starts"))
        good = _count(record.get("good_cells"), (index, "good_cells"), problems)
        scrapped = _count(record.get("scrapped_cells", 0), (index, "scrapped_cells"), problems)
        if good == 0:
            problems.append(
                (
                    (index, "good_cells"),
                    "a lot without good cells has no cell to carry its footprint; "
                    "book its scrap on the lot that continues the cell model",
                )
            )
        if len(problems) > before:
            continue
        assert start is not None and end is not None and good is not None and scrapped is not None
        lots.append(
            Lot(
                lot_id,
                model,
                line,
                start,
                end,
                good,
                scrapped,
                str(record.get("scrap_step") or ""),
            )
        )
    if problems:
        raise PlantDataError(problems)
    return lots


def _time(
    value: Any, plant: Plant, where: tuple[str | int, ...], problems: list[Problem]
) -> int | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        problems.append((where, f"'{value}' is not an ISO 8601 time"))
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=plant.zone)
    return int(moment.timestamp())


def _count(value: Any, where: tuple[str | int, ...], problems: list[Problem]) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append((where, f"'{value}' is not a number of cells"))
        return None
    if number < 0 or number != int(number):
        problems.append((where, f"'{value}' is not a whole, non-negative number of cells"))
        return None
    return int(number)
