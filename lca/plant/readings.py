"""Meter readings: parse, convert to canonical units and check quality (merge: lca.plant.series).

Readings arrive as CSV (long: ``meter,timestamp,value,unit``; wide: ``timestamp`` and one column
per meter, headed ``meter [unit]``) or JSON records with the long layout's keys. A timestamp is the
start of the interval a value covers (interval meters) or the instant a register was read
(cumulative meters). Timestamps with an offset are taken as given; naive ones are local time of the
plant's zone: in the repeated hour of a DST fall-back the first occurrence is the earlier (summer
time) instant and the second the later one (``fold=1``), so a 25-hour day keeps 25 hours; a local
time that does not exist (the skipped hour of a spring-forward) is a problem.

The result is an interval series (:mod:`lca.plant.series`). Hard problems (an unknown meter, a
value that is not a number, a unit of the wrong dimension — m³ on an electricity meter) raise
:class:`~lca.plant.model.PlantDataError` with every problem at once; soft findings go to the
:class:`QualityReport` and the values stay (or, for negative intervals, are dropped and reported).

Spike rule: an interval whose mean power (energy / duration) is more than ``spike_ratio`` (10)
times the median mean power of that meter's positive intervals, for a meter with at least 24
intervals. Spikes are reported, not removed: a real load can be high.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from lca.fuels import FUEL_PROPERTIES, fuel_energy_mj
from lca.plant.model import Location, Plant, PlantDataError, Problem
from lca.plant.series import Floats, IntervalSeries, Ints, empty_series
from lca.units import UnitError, convert, parse_quantity

SPIKE_RATIO = 10.0
SPIKE_MIN_INTERVALS = 24
# Hard problems of one kind are listed row by row up to this many, then summarised, so a file of
# a million bad rows yields a readable answer.
MAX_ROW_PROBLEMS = 50


@dataclass(frozen=True)
class Finding:
    """One soft finding of the quality check, for one meter and interval (UTC epoch seconds)."""

    meter_id: str
    start_s: int
    end_s: int
    detail: str


@dataclass(frozen=True)
class QualityReport:
    gaps: tuple[Finding, ...] = ()
    duplicates: tuple[Finding, ...] = ()
    negative_intervals: tuple[Finding, ...] = ()
    spikes: tuple[Finding, ...] = ()
    rollovers: tuple[Finding, ...] = ()
    resets: tuple[Finding, ...] = ()

    @property
    def clean(self) -> bool:
        return not any(
            (self.gaps, self.duplicates, self.negative_intervals, self.spikes, self.resets)
        )


@dataclass(frozen=True)
class RawReadings:
    """Rows as read, before checking (values in each row's unit, times as ISO 8601 text)."""

    row: list[int]
    meter: list[str]
    timestamp: list[str]
    value: list[Any]
    unit: list[str]


def parse_long_csv(
    text: str, plant: Plant, *, interval_s: int | None = None
) -> tuple[IntervalSeries, QualityReport]:
    """Readings in the long layout ``meter,timestamp,value,unit`` (one reading a row)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"meter", "timestamp", "value", "unit"} - set(reader.fieldnames or ())
    if missing:
        raise PlantDataError([(("header",), f"missing columns: {', '.join(sorted(missing))}")])
    raw = RawReadings([], [], [], [], [])
    for index, row in enumerate(reader):
        raw.row.append(index)
        raw.meter.append((row["meter"] or "").strip())
        raw.timestamp.append((row["timestamp"] or "").strip())
        raw.value.append(row["value"])
        raw.unit.append((row["unit"] or "").strip())
    return normalise(raw, plant, interval_s=interval_s)


def parse_wide_csv(
    text: str, plant: Plant, *, interval_s: int | None = None
) -> tuple[IntervalSeries, QualityReport]:
    """Readings in the wide layout: ``timestamp`` then one column per meter, ``meter [unit]``."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    if not header or header[0].strip() != "timestamp":
        raise PlantDataError([(("header", 0), "the first column must be 'timestamp'")])
    problems: list[Problem] = []
    columns: list[tuple[str, str]] = []
    for position, name in enumerate(header[1:], start=1):
        meter, _, rest = name.strip().partition("[")
        if not rest.endswith("]") or not rest[:-1].strip():
            problems.append(
                (("header", position), f"column '{name}' must name its unit: 'meter [kWh]'")
            )
        columns.append((meter.strip(), rest[:-1].strip()))
    if problems:
        raise PlantDataError(problems)
    raw = RawReadings([], [], [], [], [])
    for index, row in enumerate(reader):
        for position, (meter, unit) in enumerate(columns, start=1):
            cell = row[position].strip() if position < len(row) else ""
            if cell == "":
                continue  # an empty cell is a missing reading (a gap), not a zero
            raw.row.append(index)
            raw.meter.append(meter)
            raw.timestamp.append(row[0].strip())
            raw.value.append(cell)
            raw.unit.append(unit)
    return normalise(raw, plant, interval_s=interval_s)


def parse_json_records(
    records: Any, plant: Plant, *, interval_s: int | None = None
) -> tuple[IntervalSeries, QualityReport]:
    """Readings as JSON records ``[{"meter", "timestamp", "value", "unit"}, …]`` (text or list)."""
    if isinstance(records, str | bytes):
        try:
            records = json.loads(records)
        except ValueError as exc:
            raise PlantDataError([((), f"not JSON: {exc}")]) from None
    if not isinstance(records, list):
        raise PlantDataError([((), "expected a list of reading records")])
    raw = RawReadings([], [], [], [], [])
    problems: list[Problem] = []
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            problems.append(((index,), "a reading is an object with meter, timestamp, value, unit"))
            continue
        raw.row.append(index)
        raw.meter.append(str(record.get("meter", "")))
        raw.timestamp.append(str(record.get("timestamp", "")))
        raw.value.append(record.get("value"))
        raw.unit.append(str(record.get("unit", "")))
    if problems:
        raise PlantDataError(problems)
    return normalise(raw, plant, interval_s=interval_s)


def normalise(
    raw: RawReadings,
    plant: Plant,
    *,
    interval_s: int | None = None,
    spike_ratio: float = SPIKE_RATIO,
) -> tuple[IntervalSeries, QualityReport]:
    """Check, convert and build the series of parsed rows; raise on any hard problem."""
    problems = _RowProblems()
    meters = {m.meter_id: m for m in plant.meters}
    zone = plant.zone
    scales: dict[tuple[str, str], float | None] = {}
    keep: list[int] = []
    seconds: list[int] = []
    values: list[float] = []
    seen_ambiguous: dict[tuple[str, str], int] = {}
    parsed_times: dict[str, _Parsed] = {}
    for position, row in enumerate(raw.row):
        meter_id, unit = raw.meter[position], raw.unit[position]
        meter = meters.get(meter_id)
        if meter is None:
            problems.add("meter", (row, "meter"), f"unknown meter '{meter_id}'")
            continue
        key = (meter_id, unit)
        if key not in scales:
            scales[key] = _unit_scale(unit, meter.carrier, meter.unit, problems, (row, "unit"))
        scale = scales[key]
        value = _number(raw.value[position])
        if value is None:
            problems.add("value", (row, "value"), f"'{raw.value[position]}' is not a number")
        instant = _instant(
            raw.timestamp[position], zone, meter_id, seen_ambiguous, problems, row, parsed_times
        )
        if scale is None or value is None or instant is None:
            continue
        keep.append(position)
        seconds.append(instant)
        values.append(value * scale)
    if problems.items:
        raise PlantDataError(problems.listed())
    meter_ids = tuple(sorted({raw.meter[p] for p in keep}))
    index = {m: i for i, m in enumerate(meter_ids)}
    meter_of = np.array([index[raw.meter[p]] for p in keep], dtype=np.int64)
    at = np.array(seconds, dtype=np.int64)
    value_of = np.array(values, dtype=np.float64)
    rowscale = np.array([scales[(raw.meter[p], raw.unit[p])] or 1.0 for p in keep])
    return _build(plant, meter_ids, meter_of, at, value_of, rowscale, interval_s, spike_ratio)


def _build(
    plant: Plant,
    meter_ids: tuple[str, ...],
    meter_of: Ints,
    at: Ints,
    value: Floats,
    rowscale: Floats,
    interval_s: int | None,
    spike_ratio: float,
) -> tuple[IntervalSeries, QualityReport]:
    # Stable sort by (meter, time): the last of several rows for one instant wins (a correction).
    order = np.lexsort((np.arange(at.size), at, meter_of))
    meter_of, at, value, rowscale = meter_of[order], at[order], value[order], rowscale[order]
    same = (meter_of[1:] == meter_of[:-1]) & (at[1:] == at[:-1])
    duplicates = [
        Finding(meter_ids[meter_of[i]], int(at[i]), int(at[i]), "several readings; the last kept")
        for i in np.flatnonzero(same)
    ]
    last = np.ones(at.size, dtype=bool)
    last[:-1] = ~same
    meter_of, at, value, rowscale = meter_of[last], at[last], value[last], rowscale[last]
    parts: list[tuple[Ints, Ints, Ints, Floats]] = []
    rollovers: list[Finding] = []
    resets: list[Finding] = []
    negatives: list[Finding] = []
    # rows are sorted by meter: each meter is one slice (no pass over all rows per meter)
    bounds = np.searchsorted(meter_of, np.arange(len(meter_ids) + 1))
    for position, meter_id in enumerate(meter_ids):
        rows = slice(bounds[position], bounds[position + 1])
        t, v = at[rows], value[rows]
        meter = plant.meter(meter_id)
        if meter.cumulative:
            start, end, energy = _register_intervals(
                meter_id, t, v, rowscale[rows], meter.register_max, rollovers, resets
            )
        else:
            step = interval_s or _typical_step(t)
            start, end, energy = t, t + step, v
            bad = energy < 0
            negatives += [
                Finding(meter_id, int(s), int(e), f"negative value {x:g}; dropped")
                for s, e, x in zip(start[bad], end[bad], energy[bad], strict=True)
            ]
            start, end, energy = start[~bad], end[~bad], energy[~bad]
        parts.append((np.full(start.size, position, dtype=np.int64), start, end, energy))
    if parts:
        series = IntervalSeries(
            meter_ids,
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]),
        )
    else:
        series = empty_series()
    report = QualityReport(
        gaps=tuple(_gaps(series)),
        duplicates=tuple(duplicates),
        negative_intervals=tuple(negatives),
        spikes=tuple(_spikes(series, spike_ratio)),
        rollovers=tuple(rollovers),
        resets=tuple(resets),
    )
    return series, report


def _register_intervals(
    meter_id: str,
    t: Ints,
    v: Floats,
    scale: Floats,
    register_max: float | None,
    rollovers: list[Finding],
    resets: list[Finding],
) -> tuple[Ints, Ints, Floats]:
    """Interval energies between consecutive register readings (values already scaled)."""
    diff = np.diff(v)
    for i in np.flatnonzero(diff < 0):
        before, after = v[i] / scale[i], v[i + 1] / scale[i + 1]  # in the register's own unit
        span = (int(t[i]), int(t[i + 1]))
        if register_max is not None and before > register_max / 2 and after < register_max / 2:
            diff[i] = (register_max - before + after) * scale[i + 1]
            rollovers.append(Finding(meter_id, *span, f"register wrapped at {register_max:g}"))
        else:
            # A reset to zero between two readings: what the register shows now was counted
            # since the reset; anything counted before it in this interval is lost (reported).
            diff[i] = v[i + 1]
            resets.append(Finding(meter_id, *span, f"register fell from {before:g} to {after:g}"))
    return t[:-1], t[1:], diff


def _typical_step(t: Ints) -> int:
    if t.size < 2:
        return 3600
    return int(np.median(np.diff(t)))


def _gaps(series: IntervalSeries) -> list[Finding]:
    if len(series) < 2:
        return []
    order = np.lexsort((series.start_s, series.meter))
    meter, start, end = series.meter[order], series.start_s[order], series.end_s[order]
    gap = (meter[1:] == meter[:-1]) & (start[1:] > end[:-1])
    return [
        Finding(
            series.meter_ids[meter[i]],
            int(end[i]),
            int(start[i + 1]),
            f"no reading for {int(start[i + 1] - end[i])} s",
        )
        for i in np.flatnonzero(gap)
    ]


def _spikes(series: IntervalSeries, ratio: float) -> list[Finding]:
    findings: list[Finding] = []
    duration = np.maximum(series.end_s - series.start_s, 1)
    power = series.value / duration
    positive = np.flatnonzero(power > 0)
    by_meter = positive[np.argsort(series.meter[positive], kind="stable")]
    bounds = np.searchsorted(series.meter[by_meter], np.arange(len(series.meter_ids) + 1))
    for position, meter_id in enumerate(series.meter_ids):
        rows = by_meter[bounds[position] : bounds[position + 1]]
        if rows.size < SPIKE_MIN_INTERVALS:
            continue
        median = float(np.median(power[rows]))
        for i in rows[power[rows] > ratio * median]:
            findings.append(
                Finding(
                    meter_id,
                    int(series.start_s[i]),
                    int(series.end_s[i]),
                    f"mean power {power[i] / median:.1f} × the meter's median",
                )
            )
    return findings


class _RowProblems:
    def __init__(self) -> None:
        self.items: dict[str, list[Problem]] = {}
        self.counts: dict[str, int] = {}

    def add(self, kind: str, where: Location, message: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        listed = self.items.setdefault(kind, [])
        if len(listed) < MAX_ROW_PROBLEMS:
            listed.append((("rows", *where), message))

    def listed(self) -> list[Problem]:
        problems: list[Problem] = []
        for kind, listed in self.items.items():
            problems += listed
            if self.counts[kind] > len(listed):
                more = self.counts[kind] - len(listed)
                problems.append((("rows",), f"… and {more} more rows with a bad {kind}"))
        return problems


def _unit_scale(
    unit: str, carrier: str, canonical: str, problems: _RowProblems, where: Location
) -> float | None:
    """Factor from ``unit`` to the carrier's canonical unit (reported once per meter and unit)."""
    try:
        if carrier in FUEL_PROPERTIES:
            return fuel_energy_mj(f"1 {unit}", carrier)
        return convert(parse_quantity(f"1 {unit}"), canonical)
    except UnitError as exc:
        problems.add(
            "unit", where, f"unit '{unit}' cannot measure {carrier} (in {canonical}): {exc}"
        )
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# What a timestamp text means: its UTC instant(s) — two for a repeated local hour — or why none.
_Parsed = tuple[int, int | None] | str


def _instant(
    text: str,
    zone: ZoneInfo,
    meter_id: str,
    seen: dict[tuple[str, str], int],
    problems: _RowProblems,
    row: int,
    cache: dict[str, _Parsed],
) -> int | None:
    parsed = cache.get(text)
    if parsed is None:
        # many meters share a timestamp: each distinct text is parsed once
        parsed = cache[text] = _parse_time(text, zone)
    if isinstance(parsed, str):
        problems.add("timestamp", (row, "timestamp"), parsed)
        return None
    first, second = parsed
    if second is None:
        return first
    key = (meter_id, text)
    seen[key] = seen.get(key, 0) + 1
    return second if seen[key] > 1 else first


def _parse_time(text: str, zone: ZoneInfo) -> _Parsed:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return f"'{text}' is not an ISO 8601 time"
    if moment.tzinfo is not None:
        return int(moment.timestamp()), None
    local = moment.replace(tzinfo=zone)
    first, second = local.replace(fold=0), local.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return int(local.timestamp()), None
    if _back_to_local(first, zone) != moment:  # the skipped hour of a spring-forward
        return f"local time '{text}' does not exist in {zone.key} (clocks went forward)"
    return int(first.timestamp()), int(second.timestamp())


def _back_to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None)


def iter_findings(report: QualityReport) -> Iterable[tuple[str, Finding]]:
    """Every finding of ``report`` with its kind, in a stable order."""
    for kind in ("gaps", "duplicates", "negative_intervals", "spikes", "rollovers", "resets"):
        for finding in getattr(report, kind):
            yield kind, finding
