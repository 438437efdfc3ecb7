"""Small plants the plant tests share."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from lca.plant.factors import GridInputs
from lca.plant.model import Area, Line, Meter, Plant
from lca.plant.series import IntervalSeries


def hour_of(text: str) -> int:
    """Hours since the epoch of a UTC ISO time."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) // 3600


def hourly_series(values: dict[str, list[float]], first_hour: int) -> IntervalSeries:
    """Hourly interval values per meter, starting at ``first_hour``."""
    meter_ids = tuple(sorted(values))
    meter, start, value = [], [], []
    for index, meter_id in enumerate(meter_ids):
        for offset, amount in enumerate(values[meter_id]):
            meter.append(index)
            start.append((first_hour + offset) * 3600)
            value.append(amount)
    starts = np.array(start, dtype=np.int64)
    return IntervalSeries(
        meter_ids, np.array(meter, dtype=np.int64), starts, starts + 3600, np.array(value)
    )


def line_and_dry_room(zone: str = "UTC") -> Plant:
    return Plant(
        plant_id="p",
        site="test site",
        grid_region="US-SRTV",
        time_zone=zone,
        lines=(Line("L1"),),
        areas=(Area("dry", "dry_room", rule="run_time"),),
        meters=(
            Meter("l1", "electricity", "line", "L1"),
            Meter("dry_el", "electricity", "area", "dry"),
        ),
    )


def flat_grid(kg_per_kwh: float = 0.5) -> GridInputs:
    return GridInputs("US-SRTV", "US", kg_per_kwh, None)
