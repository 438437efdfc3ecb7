"""Meters merged into one bucket per carrier and scope allocate exactly as the meters one by one."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lca.plant.buckets import merged_plant, merged_series
from lca.plant.example import generate_month
from lca.plant.factors import GridInputs
from lca.plant.footprint import PlantFootprint, plant_footprint
from lca.plant.lots import Lot
from lca.plant.model import Area, Line, Meter, Plant, plant_problems
from tests.lca.plant.conftest import hour_of, hourly_series

H0 = hour_of("2026-03-02T00:00:00")


def _same(a: PlantFootprint, b: PlantFootprint) -> None:
    for carrier in ("electricity", "natural_gas"):
        assert b.metered_total(carrier) == pytest.approx(a.metered_total(carrier), rel=1e-12)
        assert b.allocated_total(carrier) == pytest.approx(a.allocated_total(carrier), rel=1e-12)
        assert b.unallocated_total(carrier) == pytest.approx(
            a.unallocated_total(carrier), rel=1e-12, abs=1e-12
        )
    assert np.allclose(b.kg_per_good_cell(), a.kg_per_good_cell(), rtol=1e-12, atol=0)
    for lot in a.lots:
        one, other = dataclasses.asdict(a.lot(lot.lot_id)), dataclasses.asdict(b.lot(lot.lot_id))
        assert _close(one, other)


def _close(one: object, other: object) -> bool:
    if isinstance(one, dict):
        assert isinstance(other, dict) and one.keys() == other.keys()
        return all(_close(one[k], other[k]) for k in one)
    if isinstance(one, float):
        assert other == pytest.approx(one, rel=1e-12, abs=1e-15)
        return True
    assert one == other
    return True


def test_example_month_merged_allocates_as_its_meters() -> None:
    """The example plant (sub-meter tree, shared areas by three rules, gas, a PPA matched hourly)
    gives every lot the same figures from its merged buckets as from its meters."""
    month = generate_month()
    merged, parts = merged_plant(month.plant)
    assert plant_problems(merged) == []
    grid = GridInputs("US-SRTV", "US", 0.45, 0.40992, None, (month.ppa,))
    args = (month.lots, grid, {"natural_gas": 0.0562})
    kwargs = {
        "first_hour": month.first_hour,
        "hours": month.hours,
        "cell_energy_kwh": month.cell_energy_kwh,
    }
    by_meter = plant_footprint(month.plant, month.series, *args, **kwargs)  # type: ignore[arg-type]
    by_bucket = plant_footprint(  # type: ignore[arg-type]
        merged, merged_series(month.series, merged, parts), *args, **kwargs
    )
    _same(by_meter, by_bucket)
    assert by_bucket.electricity.matched_hourly_kwh == pytest.approx(
        by_meter.electricity.matched_hourly_kwh, rel=1e-12
    )


def test_meters_of_one_scope_become_one_bucket_and_a_parent_keeps_its_remainder() -> None:
    """main (plant) → l1a, l1b (line L1) and dry (area); two gas meters in the dry room: three
    buckets of electricity (plant remainder, L1, dry) and one of gas."""
    plant = Plant(
        "p",
        "s",
        "US-SRTV",
        "UTC",
        (Line("L1"), Line("L2")),
        (Area("dry", "dry_room", "run_time", ("L1", "L2")),),
        (
            Meter("main", "electricity", "plant"),
            Meter("l1a", "electricity", "line", "L1", "main"),
            Meter("l1b", "electricity", "line", "L1", "main"),
            Meter("dry", "electricity", "area", "dry", "main"),
            Meter("gas1", "natural_gas", "area", "dry"),
            Meter("gas2", "natural_gas", "area", "dry"),
        ),
    )
    merged, parts = merged_plant(plant)
    assert [m.meter_id for m in merged.meters] == [
        "electricity/plant/",
        "electricity/line/L1",
        "electricity/area/dry",
        "natural_gas/area/dry",
    ]
    series = hourly_series(
        {
            "main": [100, 90, 80],
            "l1a": [30, 20, 0],
            "l1b": [10, 10, 0],
            "dry": [20, 20, 20],
            "gas1": [5, 5, 5],
            "gas2": [1, 2, 3],
        },
        H0,
    )
    lots = [
        Lot("a", "m", "L1", H0 * 3600, H0 * 3600 + 5400, 100, 5),
        Lot("b", "m", "L2", H0 * 3600 + 1800, H0 * 3600 + 9000, 200, 0),
    ]
    grid = GridInputs("US-SRTV", "US", 0.45, 0.40992)
    kwargs = {"first_hour": H0, "hours": 3, "cell_energy_kwh": {"m": 0.2}}
    by_meter = plant_footprint(plant, series, lots, grid, {"natural_gas": 0.06}, **kwargs)  # type: ignore[arg-type]
    bucket_series = merged_series(series, merged, parts)
    by_bucket = plant_footprint(merged, bucket_series, lots, grid, {"natural_gas": 0.06}, **kwargs)  # type: ignore[arg-type]
    _same(by_meter, by_bucket)
    assert by_bucket.allocation.metered.tolist() == [140, 70, 60, 21]
