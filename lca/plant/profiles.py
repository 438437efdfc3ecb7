"""Hourly profiles of contractual instruments and on-site generation: kWh per UTC hour.

Two layouts, every problem reported at once (field paths ``rows, i, column``):

- CSV with the columns ``hour_start_utc,kwh`` — an ISO 8601 hour start (UTC unless it carries an
  offset) and the energy the instrument delivers in that hour, in kWh;
- JSON, either ``{"first_hour": "...", "kwh": [...]}`` (consecutive hours from ``first_hour``,
  the form a footprint request takes) or records ``[{"hour_start_utc": "...", "kwh": ...}]``.

An hour given twice is a problem; hours not given deliver nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lca.plant.factors import non_negative, utc_hour
from lca.plant.model import PlantDataError, Problem
from lca.plant.series import Floats, Ints

PROFILE_COLUMNS = ("hour_start_utc", "kwh")


@dataclass(frozen=True, eq=False)
class HourlyProfile:
    """kWh per UTC hour (hours since the epoch), sorted by hour, each hour once."""

    hour: Ints
    kwh: Floats

    def __len__(self) -> int:
        return int(self.hour.size)


def parse_profile_csv(text: str, max_kwh: float) -> HourlyProfile:
    """A profile CSV (``hour_start_utc,kwh``); values above ``max_kwh`` are problems."""
    reader = csv.DictReader(io.StringIO(text))
    missing = set(PROFILE_COLUMNS) - {(f or "").strip() for f in reader.fieldnames or ()}
    if missing:
        raise PlantDataError([(("header",), f"missing columns: {', '.join(sorted(missing))}")])
    records = [{(k or "").strip(): v for k, v in row.items()} for row in reader]
    return _profile(records, max_kwh)


def parse_profile_json(body: Any, max_kwh: float) -> HourlyProfile:
    """A profile as ``{"first_hour", "kwh": [...]}`` or a list of ``{"hour_start_utc", "kwh"}``."""
    if isinstance(body, Mapping) and "first_hour" in body:
        problems: list[Problem] = []
        first = utc_hour(_text(body.get("first_hour")), ("first_hour",), problems)
        values = body.get("kwh")
        if not isinstance(values, list):
            problems.append((("kwh",), "a list of kWh, one per hour from first_hour"))
            values = []
        if problems:
            raise PlantDataError(problems)
        assert first is not None
        records = [
            {"hour_start_utc": str((first + i) * 3600), "kwh": v, "_epoch": True}
            for i, v in enumerate(values)
        ]
        return _profile(records, max_kwh, path="kwh")
    if isinstance(body, Mapping):
        body = body.get("profile")
    if not isinstance(body, list):
        raise PlantDataError(
            [(("body",), "a list of {hour_start_utc, kwh} or {first_hour, kwh: [...]}")]
        )
    return _profile(body, max_kwh)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _profile(records: list[Any], max_kwh: float, path: str = "rows") -> HourlyProfile:
    problems: list[Problem] = []
    hours: list[int] = []
    values: list[float] = []
    seen: set[int] = set()
    for index, record in enumerate(records):
        where: tuple[str | int, ...] = (path, index)
        if not isinstance(record, Mapping):
            problems.append((where, "a record with hour_start_utc and kwh"))
            continue
        if record.get("_epoch"):
            hour: int | None = int(record["hour_start_utc"]) // 3600
        else:
            hour = utc_hour(
                _text(record.get("hour_start_utc")), (*where, "hour_start_utc"), problems
            )
        kwh_at = where if path == "kwh" else (*where, "kwh")
        kwh = non_negative(_text(record.get("kwh")), kwh_at, problems)
        if kwh is not None and kwh > max_kwh:
            problems.append((kwh_at, f"{kwh:g} kWh in one hour is above {max_kwh:g}"))
            continue
        if hour is None or kwh is None:
            continue
        if hour in seen:
            problems.append((where, "a second value for this hour"))
            continue
        seen.add(hour)
        hours.append(hour)
        values.append(kwh)
    if not records:
        problems.append(((path,), "no hours in the profile"))
    if problems:
        raise PlantDataError(problems)
    order = np.argsort(np.asarray(hours, dtype=np.int64), kind="stable")
    return HourlyProfile(
        np.asarray(hours, dtype=np.int64)[order], np.asarray(values, dtype=np.float64)[order]
    )
