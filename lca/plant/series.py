"""Interval series of meter energy: the arrays the plant core computes on, merge and binning.

A series is one row per interval: meter index, start and end in UTC epoch seconds, energy in the
canonical unit of the meter's carrier (lca.units: kWh for electricity, MJ for heat and fuels).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class IntervalSeries:
    """Interval energies of several meters; ``meter`` indexes ``meter_ids``."""

    meter_ids: tuple[str, ...]
    meter: Ints
    start_s: Ints
    end_s: Ints
    value: Floats  # canonical unit of the meter's carrier (kWh or MJ)

    def __len__(self) -> int:
        return int(self.meter.size)

    def total(self, meter_id: str) -> float:
        if meter_id not in self.meter_ids:
            return 0.0
        return float(self.value[self.meter == self.meter_ids.index(meter_id)].sum())


def empty_series() -> IntervalSeries:
    none = np.zeros(0, dtype=np.int64)
    return IntervalSeries((), none, none, none.copy(), np.zeros(0))


def merge(existing: IntervalSeries, upload: IntervalSeries) -> tuple[IntervalSeries, int]:
    """``existing`` with ``upload`` laid over it, and how many old intervals it replaced.

    For each meter in the upload, every old interval that overlaps the span the upload covers for
    that meter (first start to last end) is dropped, so re-sending a period replaces it whatever
    the interval length, and never counts it twice.
    """
    meter_ids = tuple(sorted(set(existing.meter_ids) | set(upload.meter_ids)))
    index = {m: i for i, m in enumerate(meter_ids)}
    old_meter = _remap(existing, index)
    new_meter = _remap(upload, index)
    lo = np.full(len(meter_ids), np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(len(meter_ids), np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(lo, new_meter, upload.start_s)
    np.maximum.at(hi, new_meter, upload.end_s)
    replaced = (existing.start_s < hi[old_meter]) & (existing.end_s > lo[old_meter])
    keep = ~replaced
    meter = np.concatenate([old_meter[keep], new_meter])
    start = np.concatenate([existing.start_s[keep], upload.start_s])
    end = np.concatenate([existing.end_s[keep], upload.end_s])
    value = np.concatenate([existing.value[keep], upload.value])
    order = np.lexsort((start, meter))
    merged = IntervalSeries(meter_ids, meter[order], start[order], end[order], value[order])
    return merged, int(replaced.sum())


def _remap(series: IntervalSeries, index: Mapping[str, int]) -> Ints:
    lookup = np.array([index[m] for m in series.meter_ids], dtype=np.int64)
    return lookup[series.meter] if len(series) else np.zeros(0, dtype=np.int64)


def _cut_by_hour(start: Ints, end: Ints, value: Floats, span: Ints) -> tuple[Ints, Ints, Floats]:
    """The intervals ``span`` (indices of intervals over more than one hour) cut into one piece
    per UTC hour they touch: (interval index, hour, its energy in proportion to time)."""
    first = start[span] // 3600
    count = (end[span] - 1) // 3600 - first + 1
    entry = np.repeat(span, count)
    offset = np.arange(entry.size) - np.repeat(np.cumsum(count) - count, count)
    hour = np.repeat(first, count) + offset
    overlap = np.minimum(end[entry], (hour + 1) * 3600) - np.maximum(start[entry], hour * 3600)
    return entry, hour, value[entry] * overlap / (end - start)[entry]


def hourly_matrix(
    series: IntervalSeries, meter_ids: Sequence[str], first_hour: int, hours: int
) -> Floats:
    """Energy per meter (rows, in ``meter_ids`` order) and UTC hour (columns).

    ``first_hour`` is in hours since the epoch. An interval that spans several hours is spread over
    them in proportion to time; energy outside the window is left out.
    """
    matrix = np.zeros((len(meter_ids), hours))
    if not len(series):
        return matrix
    position = {m: i for i, m in enumerate(meter_ids)}
    row_of = np.array([position.get(m, -1) for m in series.meter_ids], dtype=np.int64)
    rows = row_of[series.meter]
    start, end, value = series.start_s, series.end_s, series.value
    first = start // 3600
    # Most intervals (15-minute or hourly meters) lie inside one hour: binned directly. The few
    # that span hours are cut into one piece per hour, each with its share of the time.
    single = end <= (first + 1) * 3600
    if single.all():
        pieces = [(rows, first, value)]
    else:
        pieces = [(rows[single], first[single], value[single])]
        entry, hour, energy = _cut_by_hour(start, end, value, np.flatnonzero(~single))
        pieces.append((rows[entry], hour, energy))
    for piece_rows, piece_hours, piece_values in pieces:
        column = piece_hours - first_hour
        inside = (piece_rows >= 0) & (column >= 0) & (column < hours)
        # bincount sums repeated cells an order of magnitude faster than np.add.at
        matrix += np.bincount(
            piece_rows[inside] * hours + column[inside],
            piece_values[inside],
            minlength=len(meter_ids) * hours,
        ).reshape(len(meter_ids), hours)
    return matrix


def hourly_sums(series: IntervalSeries) -> tuple[Ints, Ints, Floats]:
    """The hours the intervals touch, sparse: (meter index, UTC hour, energy), sorted by meter
    and hour.

    Cut as :func:`hourly_matrix` cuts (an interval over several hours is spread in proportion to
    time), but only hours some interval touches appear — one with a zero reading included — so a
    batch of readings rolls up without a dense meters × hours matrix.
    """
    if not len(series):
        none = np.zeros(0, dtype=np.int64)
        return none, none.copy(), np.zeros(0)
    start, end, value = series.start_s, series.end_s, series.value
    first = start // 3600
    single = end <= (first + 1) * 3600
    meter, hour, energy = series.meter[single], first[single], value[single]
    if not single.all():
        entry, cut, shares = _cut_by_hour(start, end, value, np.flatnonzero(~single))
        meter = np.concatenate([meter, series.meter[entry]])
        hour = np.concatenate([hour, cut])
        energy = np.concatenate([energy, shares])
    low = int(hour.min())
    width = int(hour.max()) - low + 1
    keys, inverse = np.unique(meter * width + (hour - low), return_inverse=True)
    sums: Floats = np.bincount(inverse.ravel(), energy, minlength=keys.size).astype(np.float64)
    key: Ints = keys.astype(np.int64)
    return key // width, key % width + low, sums
