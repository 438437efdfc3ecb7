"""Allocated + unallocated energy equals the metered energy: on the example month and at random."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lca.plant.example import generate_month, readings_long_csv
from lca.plant.factors import METHODS, GridInputs
from lca.plant.footprint import PlantFootprint, plant_footprint
from lca.plant.lots import Lot
from lca.plant.model import Area, Line, Meter, Plant
from lca.plant.readings import parse_long_csv
from tests.lca.plant.conftest import hour_of, hourly_series

H0 = hour_of("2026-03-02T00:00:00")
SRTV = GridInputs("US-SRTV", "US", 0.45, 0.40992)


def _closes(result: PlantFootprint) -> None:
    for carrier in ("electricity", "natural_gas"):
        metered = result.metered_total(carrier)
        allocated = result.allocated_total(carrier) + result.unallocated_total(carrier)
        assert allocated == pytest.approx(metered, rel=1e-9, abs=1e-9)


def test_example_month_closes_and_stays_near_the_bom_energy() -> None:
    """The month's lots carry every kWh and MJ metered. Energy per NMC811 cell lands in the
    order of magnitude of the BOM (1.819 kWh and 30.65 MJ in data/examples/nmc811_pouch.json):
    Degen & Schütte's 20.10 kWh electricity and 76.97 MJ gas per kWh of capacity give 4.40 kWh and
    16.9 MJ for a 0.219 kWh cell at full output, more with base load and scrap."""
    month = generate_month()
    result = plant_footprint(
        month.plant,
        month.series,
        month.lots,
        GridInputs("US-SRTV", "US", 0.45, 0.40992, None, (month.ppa,)),
        {"natural_gas": 0.0562},
        first_hour=month.first_hour,
        hours=month.hours,
        cell_energy_kwh=month.cell_energy_kwh,
    )
    _closes(result)
    assert result.unallocated_total("electricity") == 0
    lot = result.lot(next(lot.lot_id for lot in month.lots if lot.cell_model == "nmc811_pouch"))
    assert 1.819 / 3 < lot.energy_per_good_cell["electricity"] < 1.819 * 5
    assert 30.65 / 3 < lot.energy_per_good_cell["natural_gas"] < 30.65 * 3
    assert 0 < lot.idle_share["location"] < 0.5
    assert sum(r.good_cells for r in result.aggregate("day")) == sum(
        lot.good_cells for lot in month.lots
    )


def test_example_month_is_deterministic_and_round_trips_through_csv() -> None:
    a, b = generate_month(seed=7), generate_month(seed=7)
    assert np.array_equal(a.series.value, b.series.value) and a.lots == b.lots
    day = a.series.start_s < a.series.start_s.min() + 86400
    part = type(a.series)(
        a.series.meter_ids,
        a.series.meter[day],
        a.series.start_s[day],
        a.series.end_s[day],
        a.series.value[day],
    )
    parsed, report = parse_long_csv(readings_long_csv(a.plant, part), a.plant, interval_s=900)
    assert parsed.total("main_gas") == pytest.approx(part.total("main_gas"), rel=1e-6)
    assert report.gaps == () and report.duplicates == ()


_lot = st.tuples(
    st.sampled_from(["L1", "L2"]),
    st.integers(0, 47 * 3600),
    st.integers(60, 20 * 3600),
    st.integers(1, 5000),
    st.integers(0, 500),
)


@settings(max_examples=60, deadline=None)
@given(
    lots=st.lists(_lot, min_size=0, max_size=12),
    energies=st.lists(st.floats(0, 1e4, allow_nan=False), min_size=48 * 5, max_size=48 * 5),
    rule=st.sampled_from(["cells", "cell_energy", "run_time"]),
)
def test_allocation_closes_for_any_lots_and_readings(
    lots: list[tuple[str, int, int, int, int]], energies: list[float], rule: str
) -> None:
    """Five meters (main → line L1, line L2, a shared area; gas on its own) over 48 hours and any
    lots: every bucket's energy is either allocated or reported unallocated, in every method the
    kg add up by area, and the footprint is never negative when sub-meters stay below their
    parent."""
    plant = Plant(
        "p",
        "s",
        "US-SRTV",
        "UTC",
        (Line("L1"), Line("L2")),
        (Area("dry", "dry_room", rule),),
        (
            Meter("main", "electricity", "plant"),
            Meter("l1", "electricity", "line", "L1", "main"),
            Meter("l2", "electricity", "line", "L2", "main"),
            Meter("dry", "electricity", "area", "dry", "main"),
            Meter("gas", "natural_gas", "area", "dry"),
        ),
    )
    e = np.array(energies).reshape(5, 48)
    main = e[0] + e[1] + e[2] + e[3]  # never below its sub-meters
    series = hourly_series(
        {
            "main": list(main),
            "l1": list(e[1]),
            "l2": list(e[2]),
            "dry": list(e[3]),
            "gas": list(e[4]),
        },
        H0,
    )
    made = [
        Lot(f"x{i}", "m", line, H0 * 3600 + s, H0 * 3600 + s + d, good, scrap)
        for i, (line, s, d, good, scrap) in enumerate(lots)
    ]
    result = plant_footprint(
        plant,
        series,
        made,
        SRTV,
        {"natural_gas": 0.06},
        first_hour=H0,
        hours=48,
        cell_energy_kwh={"m": 0.2},
    )
    _closes(result)
    assert float(result.allocation.energy.sum() + result.allocation.unallocated.sum()) == (
        pytest.approx(float(main.sum() + e[4].sum()), rel=1e-9, abs=1e-6)
    )
    for lot in made:
        one = result.lot(lot.lot_id)
        for method in METHODS:
            assert sum(one.by_area[method].values()) == pytest.approx(
                one.plant_energy_kg_co2e_per_good_cell[method]
            )
            assert one.plant_energy_kg_co2e_per_good_cell[method] >= -1e-12
