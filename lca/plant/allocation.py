"""Metered energy to lots, hour by hour, by stated rules that close to the metered total.

Buckets: every meter is a bucket holding its reading minus its sub-meters' readings (the parent's
unmetered remainder), so the buckets of a tree add up to its root and nothing is counted twice.

Rules (weights of a lot in an hour, counted only for the part of the hour the lot ran):

* a line's buckets go to the lots running on that line, by cells produced — a lot's cells (good
  and scrapped) spread evenly over its run, so overlapping lots share pro rata;
* a shared area's buckets go to the lots running on the lines it serves, by the area's rule:
  ``cells`` (as above), ``cell_energy`` (cells × the model's nominal energy, kWh) or ``run_time``
  (seconds the lot ran in the hour) — dry rooms and HVAC load scales with time more than output,
  formation racks with cell energy;
* plant-wide buckets go to every lot by cells.

Energy of an hour in which no eligible lot ran is *idle*: it goes to the lots of the period that
the bucket could serve, by their weights over the whole period, and is reported as its own share.
It keeps the factor of the hour it was used in. If no eligible lot ran in the whole period, the
bucket's energy stays unallocated and is reported. Allocated + unallocated = metered, to rounding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from lca.plant.lots import Lot
from lca.plant.model import Plant
from lca.plant.series import Floats, IntervalSeries, Ints, hourly_matrix


@dataclass(frozen=True)
class Bucket:
    """One meter's own energy: where it is, what it measures and how it is shared."""

    meter_id: str
    carrier: str
    scope: str
    scope_id: str
    area_kind: str  # the area's kind, "line" or "plant"
    rule: str


@dataclass(frozen=True, eq=False)
class LotHours:
    """The lots' runs cut into UTC hours (one entry per lot and hour it ran in)."""

    lot: Ints
    hour: Ints  # column in the window
    cells: Floats
    seconds: Floats


@dataclass(frozen=True, eq=False)
class Allocation:
    """Energy and kg CO2e of each lot (rows) from each bucket (columns)."""

    buckets: tuple[Bucket, ...]
    energy: Floats  # (lots, buckets), the bucket carrier's canonical unit
    idle_energy: Floats  # (lots, buckets), the part of ``energy`` used while nothing ran
    kg: Floats  # (methods, lots, buckets)
    idle_kg: Floats  # (methods, lots, buckets)
    metered: Floats  # (buckets,) energy of each bucket in the window
    unallocated: Floats  # (buckets,) energy no lot could carry
    negative_remainder_hours: int  # bucket-hours where sub-meters read more than their parent


def buckets_of(plant: Plant) -> tuple[Bucket, ...]:
    areas = {a.area_id: a for a in plant.areas}
    buckets = []
    for meter in plant.meters:
        if meter.scope == "area":
            area = areas[meter.scope_id]
            kind, rule = area.kind, area.rule
        else:
            kind, rule = meter.scope, "cells"
        buckets.append(
            Bucket(meter.meter_id, meter.carrier, meter.scope, meter.scope_id, kind, rule)
        )
    return tuple(buckets)


def bucket_energy(
    plant: Plant, series: IntervalSeries, first_hour: int, hours: int
) -> tuple[Floats, Floats]:
    """Own energy of every meter per hour (rows in plant order), and the meters' readings."""
    meter_ids = [m.meter_id for m in plant.meters]
    readings = hourly_matrix(series, meter_ids, first_hour, hours)
    own = readings.copy()
    row = {m: i for i, m in enumerate(meter_ids)}
    for meter in plant.meters:
        if meter.parent is not None:
            own[row[meter.parent]] -= readings[row[meter.meter_id]]
    return own, readings


def lot_hours(lots: Sequence[Lot], first_hour: int, hours: int) -> LotHours:
    """Cut every lot's run into the hours of the window it overlaps (vectorised)."""
    start = np.array([lot.start_s for lot in lots], dtype=np.int64)
    end = np.array([lot.end_s for lot in lots], dtype=np.int64)
    cells = np.array([lot.cells for lot in lots], dtype=np.float64)
    return _cut(start, end, cells, first_hour, hours)


def _cut(start: Ints, end: Ints, cells: Floats, first_hour: int, hours: int) -> LotHours:
    lo = np.maximum(start, first_hour * 3600)
    hi = np.minimum(end, (first_hour + hours) * 3600)
    first = lo // 3600
    count = np.where(hi > lo, (hi - 1) // 3600 - first + 1, 0).astype(np.int64)
    entry = np.repeat(np.arange(start.size), count)
    offset = np.arange(entry.size) - np.repeat(np.cumsum(count) - count, count)
    hour = first[entry] + offset
    seconds = np.minimum(end[entry], (hour + 1) * 3600) - np.maximum(start[entry], hour * 3600)
    rate = cells / np.maximum(end - start, 1)
    return LotHours(
        lot=entry.astype(np.int64),
        hour=(hour - first_hour).astype(np.int64),
        cells=rate[entry] * seconds,
        seconds=seconds.astype(np.float64),
    )


def allocate(
    plant: Plant,
    lots: Sequence[Lot],
    runs: LotHours,
    own: Floats,
    factors: Mapping[str, Floats],
    *,
    cell_energy_kwh: Mapping[str, float] | None = None,
) -> Allocation:
    """Share every bucket's hourly energy among ``lots`` and price it.

    ``runs`` is :func:`lot_hours` over the same window as ``own`` (:func:`bucket_energy`'s first
    result); ``factors`` maps a carrier to kg CO2e per canonical unit, shape (methods, hours):
    electricity varies by hour and method, other carriers are constant rows.
    """
    buckets = buckets_of(plant)
    hours = own.shape[1]
    methods = next(iter(factors.values())).shape[0] if factors else 1
    n_lots, n_buckets = len(lots), len(buckets)
    energy = np.zeros((n_lots, n_buckets))
    idle_energy = np.zeros((n_lots, n_buckets))
    kg = np.zeros((methods, n_lots, n_buckets))
    idle_kg = np.zeros((methods, n_lots, n_buckets))
    unallocated = np.zeros(n_buckets)
    line_of = np.array([lot.line for lot in lots], dtype=object)
    model_energy = np.array(
        [(cell_energy_kwh or {}).get(lot.cell_model, np.nan) for lot in lots], dtype=np.float64
    )
    served = {a.area_id: a.lines for a in plant.areas}
    # Buckets that serve the same lots by the same rule share one matrix of shares (lots × hours),
    # so a plant with hundreds of sub-meters costs a few sparse products, not a loop per meter.
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for column, bucket in enumerate(buckets):
        if bucket.scope == "line":
            lines: tuple[str, ...] = (bucket.scope_id,)
        elif bucket.scope == "area":
            lines = served[bucket.scope_id]
        else:
            lines = ()
        groups.setdefault((bucket.rule, lines), []).append(column)
    for (rule, lines), columns in groups.items():
        eligible = np.isin(line_of, lines) if lines else np.ones(n_lots, dtype=bool)
        entries = eligible[runs.lot] if n_lots else np.zeros(0, dtype=bool)
        lot, hour = runs.lot[entries], runs.hour[entries]
        weight = _weights(rule, runs, entries, model_energy)
        total_in_hour = np.bincount(hour, weight, minlength=hours)
        active = total_in_hour > 0
        share = weight / np.where(active, total_in_hour, 1.0)[hour]
        shares = sparse.csr_matrix((share, (lot, hour)), shape=(n_lots, hours))
        used = own[columns]  # (group buckets, hours)
        price = np.stack([factors[buckets[c].carrier] for c in columns], axis=1)  # (m, g, h)
        energy[:, columns] = shares @ used.T
        for method in range(methods):
            kg[method][:, columns] = shares @ (used * price[method]).T
        period_weight = np.bincount(lot, weight, minlength=n_lots)
        period_total = float(period_weight.sum())
        idle_used = used[:, ~active].sum(axis=1)
        if period_total <= 0:
            unallocated[columns] = idle_used
            continue
        fraction = period_weight / period_total
        idle_energy[:, columns] = np.outer(fraction, idle_used)
        energy[:, columns] += idle_energy[:, columns]
        for method in range(methods):
            idle_priced = (used * price[method])[:, ~active].sum(axis=1)
            idle_kg[method][:, columns] = np.outer(fraction, idle_priced)
            kg[method][:, columns] += idle_kg[method][:, columns]
    return Allocation(
        buckets=buckets,
        energy=energy,
        idle_energy=idle_energy,
        kg=kg,
        idle_kg=idle_kg,
        metered=own.sum(axis=1),
        unallocated=unallocated,
        negative_remainder_hours=int((own < -1e-9).sum()),
    )


def _weights(
    rule: str, runs: LotHours, entries: npt.NDArray[np.bool_], model_energy: Floats
) -> Floats:
    if rule == "run_time":
        return runs.seconds[entries]
    if rule == "cell_energy":
        return runs.cells[entries] * model_energy[runs.lot[entries]]
    return runs.cells[entries]
