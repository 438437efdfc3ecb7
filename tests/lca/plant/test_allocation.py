"""Known-answer allocation: lots on a line, a shared dry room, idle hours, sub-meters."""

from __future__ import annotations

import pytest

from lca.plant.footprint import plant_footprint
from lca.plant.lots import Lot
from lca.plant.model import Line, Meter, Plant, PlantDataError
from tests.lca.plant.conftest import flat_grid, hour_of, hourly_series, line_and_dry_room

H0 = hour_of("2026-03-02T00:00:00")


def _lots() -> list[Lot]:
    return [
        Lot("A", "nmc811", "L1", H0 * 3600, (H0 + 2) * 3600, good_cells=100),
        Lot("B", "nmc811", "L1", (H0 + 1) * 3600, (H0 + 3) * 3600, 60, scrapped_cells=20),
    ]


def test_two_lots_on_one_line_and_a_dry_room() -> None:
    """Line L1 meters 10, 20, 30, 40 kWh in four hours; the dry room 12 kWh every hour (run time).

    Lot A (100 cells) runs hours 0-1, lot B (60 good + 20 scrapped = 80 cells) hours 1-2; hour 3
    is idle. Cells spread evenly over a run: A 50/h, B 40/h.
    Line: A = 10 + 20 × 50/90 = 21.111; B = 20 × 40/90 + 30 = 38.889; idle 40 by period cells
    (100 : 80): A 22.222, B 17.778 → A 43.333, B 56.667 (sum 100 = metered).
    Dry room by run time: A 12 + 6, B 6 + 12, idle 12 by run time (2 h : 2 h) → A 24, B 24.
    At 0.5 kg/kWh: A (43.333 + 24) × 0.5 / 100 good = 0.33667 kg per good cell;
    B (56.667 + 24) × 0.5 / 60 good = 0.67222 (scrapped cells borne by the good ones).
    A's idle share: (22.222 + 6) × 0.5 / 33.667 = 0.41914.
    """
    series = hourly_series({"l1": [10, 20, 30, 40], "dry_el": [12, 12, 12, 12]}, H0)
    result = plant_footprint(
        line_and_dry_room(), series, _lots(), flat_grid(), {}, first_hour=H0, hours=4
    )
    a, b = result.lot("A"), result.lot("B")
    assert a.energy_per_good_cell["electricity"] == pytest.approx((43.3333 + 24) / 100, rel=1e-4)
    assert a.kg_co2e_per_good_cell["location"] == pytest.approx(0.336667, rel=1e-5)
    assert b.kg_co2e_per_good_cell["location"] == pytest.approx(0.672222, rel=1e-5)
    assert a.by_area["location"]["dry_room"] == pytest.approx(24 * 0.5 / 100)
    assert a.by_area["location"]["line"] == pytest.approx(43.33333 * 0.5 / 100, rel=1e-6)
    assert a.idle_share["location"] == pytest.approx(0.419142, rel=1e-5)
    assert result.allocated_total("electricity") == pytest.approx(100 + 48)
    assert result.metered_total("electricity") == pytest.approx(148)
    assert len(result.fallback_hours) == 4  # no hourly series: every hour took the annual factor


def test_a_sub_meter_is_not_counted_twice() -> None:
    """A main meter reads 100 kWh an hour; line L1's sub-meter 70. The main meter's own bucket
    holds the unmetered 30; one lot over one hour gets 70 + 30 = 100 kWh, not 170."""
    plant = Plant(
        "p",
        "site",
        "US-SRTV",
        "UTC",
        lines=(Line("L1"),),
        meters=(
            Meter("main", "electricity", "plant"),
            Meter("l1", "electricity", "line", "L1", parent="main"),
        ),
    )
    series = hourly_series({"main": [100], "l1": [70]}, H0)
    lot = Lot("A", "m", "L1", H0 * 3600, (H0 + 1) * 3600, 10)
    result = plant_footprint(plant, series, [lot], flat_grid(), {}, first_hour=H0, hours=1)
    assert result.allocated_total("electricity") == pytest.approx(100)
    assert result.lot("A").by_area["location"] == pytest.approx({"plant": 1.5, "line": 3.5})


def test_energy_no_lot_could_carry_is_reported_unallocated() -> None:
    """The line runs nothing in the window: its 10 kWh stay unallocated; 10 = 0 + 10."""
    series = hourly_series({"l1": [10], "dry_el": [0]}, H0)
    lot = Lot("A", "m", "L1", (H0 + 5) * 3600, (H0 + 6) * 3600, 10)
    result = plant_footprint(
        line_and_dry_room(), series, [lot], flat_grid(), {}, first_hour=H0, hours=1
    )
    assert result.unallocated_total("electricity") == pytest.approx(10)
    assert result.allocated_total("electricity") == 0


def test_every_problem_of_the_inputs_at_once() -> None:
    plant = line_and_dry_room()
    plant = Plant(
        plant.plant_id,
        plant.site,
        plant.grid_region,
        "Mars/Olympus",
        plant.lines,
        plant.areas,
        (*plant.meters, Meter("gas", "natural_gas", "plant"), Meter("x", "plasma", "line", "L9")),
    )
    lot = Lot("A", "m", "L7", H0 * 3600, (H0 + 1) * 3600, 10)
    with pytest.raises(PlantDataError) as caught:
        plant_footprint(
            plant, hourly_series({"zz": [1]}, H0), [lot], flat_grid(), {}, first_hour=H0, hours=1
        )
    where = {p for p, _ in caught.value.problems}
    assert ("time_zone",) in where
    assert ("meters", 3, "carrier") in where
    assert ("meters", 3, "scope_id") in where
    assert ("carrier_factors", "natural_gas") in where
    assert ("readings", "zz") in where
    assert ("lots", 0, "line") in where


def test_aggregates_by_line_day_and_model_with_materials() -> None:
    """The two lots above carry 33.667 + 40.333 = 74 kg of plant energy. With 10 kg of materials
    per cell made, A adds 100 × 10 = 1000 and B 80 × 10 = 800 (its 20 scrapped cells included):
    1874 kg over 160 good cells = 11.7125 kg per good cell on line L1, on 2 March, for the model."""
    series = hourly_series({"l1": [10, 20, 30, 40], "dry_el": [12, 12, 12, 12]}, H0)
    result = plant_footprint(
        line_and_dry_room(),
        series,
        _lots(),
        flat_grid(),
        {},
        first_hour=H0,
        hours=4,
        material_kg_per_cell={"nmc811": 10.0},
    )
    for by, key in (
        ("line", "L1"),
        ("day", "2026-03-02"),
        ("month", "2026-03"),
        ("cell_model", "nmc811"),
    ):
        (row,) = result.aggregate(by)
        assert (row.key, row.lots, row.good_cells) == (key, 2, 160)
        assert row.kg_co2e["market_hourly"] == pytest.approx(1874)
        assert row.kg_co2e_per_good_cell["location"] == pytest.approx(11.7125)
    assert result.lot("B").material_kg_co2e_per_good_cell == pytest.approx(800 / 60)
