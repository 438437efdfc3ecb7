"""Plant footprint benchmark: a year of meter data and 10,000 lots, allocated and priced.

``make bench-plant`` builds a synthetic year (``--lines`` production lines, each with a line meter,
the example plant's shared areas, ``--interval`` seconds between readings, ``--extra-meters``
sub-meters under the main electricity meter to reach a digital factory's meter count), then times
:func:`lca.plant.footprint.plant_footprint` (hourly binning, sub-meter remainders, electricity
factors with hourly PPA matching, allocation of every bucket to every lot in every method), the
per-lot kg CO2e per good cell of all lots, and the four aggregates. Prints lots/s; exits 1 when
the allocation does not close to the metered total or takes longer than ``--budget`` seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

import numpy as np

from lca.plant.example import load_parameters, spring_hill_plant
from lca.plant.factors import GridInputs, HourlyFactors, HourlyInstrument
from lca.plant.footprint import plant_footprint
from lca.plant.lots import Lot
from lca.plant.model import Line, Meter, Plant
from lca.plant.series import IntervalSeries


def synthetic_year(
    lines: int, lots: int, interval_s: int, extra_meters: int, seed: int
) -> tuple[Plant, IntervalSeries, list[Lot], int, int]:
    rng = np.random.default_rng(seed)
    steps, _ = load_parameters()
    base = spring_hill_plant(steps)
    line_ids = [f"L{i + 1}" for i in range(lines)]
    meters = [m for m in base.meters if m.scope != "line"]
    meters += [Meter(f"{line}_el", "electricity", "line", line, "main_el") for line in line_ids]
    meters += [
        Meter(f"sub{i}", "electricity", "area", "hvac_utilities", "hvac_utilities_electricity")
        for i in range(extra_meters)
    ]
    plant = Plant(
        base.plant_id,
        base.site,
        base.grid_region,
        base.time_zone,
        tuple(Line(line) for line in line_ids),
        base.areas,
        tuple(meters),
    )
    start = int(datetime(2026, 1, 1, 6, tzinfo=UTC).timestamp())
    hours = 8760
    slots = np.arange(start, start + hours * 3600, interval_s, dtype=np.int64)
    meter_ids = tuple(m.meter_id for m in plant.meters)
    values = rng.gamma(4.0, 25.0, size=(len(meter_ids), slots.size))
    # parents read their sub-meters plus an unmetered part
    for index in reversed(range(len(meter_ids))):
        parent = plant.meters[index].parent
        if parent is not None:
            values[meter_ids.index(parent)] += values[index]
    series = IntervalSeries(
        meter_ids,
        np.repeat(np.arange(len(meter_ids), dtype=np.int64), slots.size),
        np.tile(slots, len(meter_ids)),
        np.tile(slots + interval_s, len(meter_ids)),
        values.ravel(),
    )
    per_line = lots // lines
    span = hours * 3600 / per_line
    made = []
    for line in line_ids:
        begin = start + np.arange(per_line) * span
        for i, at in enumerate(begin):
            good = int(rng.integers(5000, 15000))
            made.append(
                Lot(
                    f"{line}-{i}",
                    "nmc811_pouch" if i % 3 else "nmc622_pouch",
                    line,
                    int(at),
                    int(at + span * 0.95),
                    good,
                    int(good * 0.08),
                )
            )
    return plant, series, made, start // 3600, hours


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lots", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--interval", type=int, default=900)
    parser.add_argument("--extra-meters", type=int, default=0)
    parser.add_argument("--budget", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    plant, series, lots, first_hour, hours = synthetic_year(
        args.lines, args.lots, args.interval, args.extra_meters, args.seed
    )
    rng = np.random.default_rng(args.seed)
    hour = np.arange(first_hour, first_hour + hours, dtype=np.int64)
    hourly = HourlyFactors("US-SRTV", hour[:-100], rng.uniform(0.3, 0.5, hours - 100), ("bench",))
    noon = np.sin(np.pi * ((hour % 24) - 12) / 12).clip(0) * 500.0
    ppa = HourlyInstrument("ppa", "ppa", "solar", 0.048, "US-SRTV", hour, noon)
    grid = GridInputs("US-SRTV", "US", 0.45, 0.40992, hourly, (ppa,))
    print(
        f"plant: {len(plant.lines)} lines, {len(plant.meters)} meters, "
        f"{len(series):,} readings ({args.interval} s), {len(lots):,} lots over {hours} h"
    )
    started = time.perf_counter()
    result = plant_footprint(
        plant,
        series,
        lots,
        grid,
        {"natural_gas": 0.0562},
        first_hour=first_hour,
        hours=hours,
        cell_energy_kwh={"nmc811_pouch": 0.219, "nmc622_pouch": 0.2847},
        material_kg_per_cell={"nmc811_pouch": 13.6, "nmc622_pouch": 17.0},
    )
    allocated = time.perf_counter()
    per_cell = result.kg_per_good_cell()
    aggregates = {by: result.aggregate(by) for by in ("day", "month", "line", "cell_model")}
    elapsed = time.perf_counter() - started
    print(f"allocate and price: {allocated - started:.3f} s")
    print(f"per-lot results and aggregates: {elapsed - (allocated - started):.3f} s")
    print(f"total: {elapsed:.3f} s, {len(lots) / elapsed:,.0f} lots/s")
    print(
        "mean kg CO2e per good cell (location / annual / hourly): "
        + " / ".join(f"{x:.4f}" for x in per_cell.mean(axis=1))
        + f"; {len(aggregates['day'])} days"
    )
    ok = True
    for carrier in ("electricity", "natural_gas"):
        metered = result.metered_total(carrier)
        closed = result.allocated_total(carrier) + result.unallocated_total(carrier)
        if abs(closed - metered) > 1e-9 * max(metered, 1.0):
            print(f"{carrier}: allocated {closed} != metered {metered}", file=sys.stderr)
            ok = False
    if elapsed > args.budget:
        print(f"over budget: {elapsed:.2f} s > {args.budget} s", file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
