"""A plant's meters merged into one bucket per carrier and scope: the same lots, far fewer rows.

:func:`lca.plant.allocation.allocate` shares every bucket (a meter's own energy: its reading
minus its sub-meters') by the rule of where it is, with a factor of its carrier. Buckets of the
same carrier, scope and scope id are shared by the same lots, hour by hour, with the same weights
and priced alike, and the allocation is linear in the energy: so their sum allocates exactly as
they do one by one (to rounding). A plant of 500 meters on one line then allocates one bucket,
and the database sums the hourly roll-ups per bucket instead of sending every meter's.

:func:`merged_plant` gives the merged plant (meters without parents, one per bucket) and how
every meter's readings enter it: ``+1`` into its own bucket, ``-1`` into its parent's (the
parent's remainder). The root electricity meters' readings, which hourly matching compares with
the instruments, are the sum of the merged electricity buckets, as before. Only the diagnostic of
bucket-hours where sub-meters read more than their parent is coarser (it counts merged buckets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from lca.plant.model import Meter, Plant
from lca.plant.series import IntervalSeries


@dataclass(frozen=True)
class Contribution:
    """Meter ``meter_id``'s readings enter merged bucket ``bucket`` (an index) times ``sign``."""

    meter_id: str
    bucket: int
    sign: float


def bucket_id(meter: Meter) -> str:
    return f"{meter.carrier}/{meter.scope}/{meter.scope_id}"


def merged_plant(plant: Plant) -> tuple[Plant, tuple[Contribution, ...]]:
    """``plant`` with one parentless meter per (carrier, scope, scope id), in order of first
    appearance, and every meter's contributions to them. ``plant`` must be valid
    (:func:`lca.plant.model.plant_problems` empty)."""
    by_id = {m.meter_id: m for m in plant.meters}
    index: dict[str, int] = {}
    merged: list[Meter] = []
    for meter in plant.meters:
        key = bucket_id(meter)
        if key not in index:
            index[key] = len(merged)
            merged.append(Meter(key, meter.carrier, meter.scope, meter.scope_id))
    parts = []
    for meter in plant.meters:
        parts.append(Contribution(meter.meter_id, index[bucket_id(meter)], 1.0))
        if meter.parent is not None:
            parts.append(Contribution(meter.meter_id, index[bucket_id(by_id[meter.parent])], -1.0))
    return replace(plant, meters=tuple(merged)), tuple(parts)


def merged_series(
    series: IntervalSeries, merged: Plant, parts: Sequence[Contribution]
) -> IntervalSeries:
    """Per-meter ``series`` as the merged buckets' series (an interval of a meter with a parent
    appears twice: in its bucket, and negated in its parent's)."""
    position = {m: i for i, m in enumerate(series.meter_ids)}
    pieces = []
    for part in parts:
        if part.meter_id not in position:
            continue
        rows = np.flatnonzero(series.meter == position[part.meter_id])
        pieces.append((np.full(rows.size, part.bucket, dtype=np.int64), rows, part.sign))
    meter_ids = tuple(m.meter_id for m in merged.meters)
    if not pieces:
        none = np.zeros(0, dtype=np.int64)
        return IntervalSeries(meter_ids, none, none, none.copy(), np.zeros(0))
    bucket = np.concatenate([p[0] for p in pieces])
    rows = np.concatenate([p[1] for p in pieces])
    sign = np.concatenate([np.full(p[1].size, p[2]) for p in pieces])
    return IntervalSeries(
        meter_ids, bucket, series.start_s[rows], series.end_s[rows], series.value[rows] * sign
    )
