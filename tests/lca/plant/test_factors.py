"""Hourly factors, their fallback, and hourly against annual matching of a PPA."""

from __future__ import annotations

import numpy as np
import pytest

from lca.plant.factors import (
    GridInputs,
    HourlyInstrument,
    electricity_factors,
    parse_electricity_maps_csv,
    parse_factor_csv,
)
from lca.plant.footprint import plant_footprint
from lca.plant.lots import Lot
from lca.plant.model import Line, Meter, Plant, PlantDataError
from tests.lca.plant.conftest import hour_of, hourly_series

H0 = hour_of("2026-06-01T00:00:00")


def _factor_csv(hours: range, kg: float) -> str:
    rows = ["region,hour_start_utc,kg_co2e_per_kwh,source"]
    rows += [f"US-SRTV,2026-06-01T{h:02d}:00:00Z,{kg},test series" for h in hours]
    return "\n".join(rows)


def _ppa(kwh_at_noon: float, market: str = "US-SRTV") -> HourlyInstrument:
    return HourlyInstrument(
        "solar PPA",
        "ppa",
        "solar",
        0.05,
        market,
        np.array([H0 + 12], dtype=np.int64),
        np.array([kwh_at_noon]),
    )


def test_hourly_matching_against_annual_matching_of_a_midday_ppa() -> None:
    """The plant draws 10 kWh every hour of a day (240 kWh); a solar PPA delivers 60 kWh at noon
    only (0.05 kg/kWh); the grid is 0.3 kg/kWh every hour, the residual mix 0.4.
    Location: 240 × 0.3 = 72 kg.
    Annual matching: 60/240 = 25 % of every hour covered → 240 × (0.25 × 0.05 + 0.75 × 0.4) = 75.
    Hourly matching: noon covers its own 10 kWh only (50 kWh surplus lost):
    10 × 0.05 + 230 × 0.4 = 92.5 kg. One lot of 100 good cells over the day:
    0.72, 0.75 and 0.925 kg per good cell."""
    plant = Plant(
        "p", "s", "US-SRTV", "UTC", (Line("L1"),), meters=(Meter("main", "electricity", "plant"),)
    )
    hourly = parse_factor_csv(_factor_csv(range(24), 0.3))["US-SRTV"]
    grid = GridInputs("US-SRTV", "US", 0.9, 0.4, hourly, (_ppa(60),))
    lot = Lot("A", "m", "L1", H0 * 3600, (H0 + 24) * 3600, 100)
    result = plant_footprint(
        plant, hourly_series({"main": [10] * 24}, H0), [lot], grid, {}, first_hour=H0, hours=24
    )
    assert result.lot("A").kg_co2e_per_good_cell == pytest.approx(
        {"location": 0.72, "market_annual": 0.75, "market_hourly": 0.925}
    )
    assert result.electricity.matched_hourly_kwh == pytest.approx(10)
    assert result.electricity.matched_annual_kwh == pytest.approx(60)
    assert len(result.fallback_hours) == 0


def test_hours_without_a_factor_fall_back_to_the_annual_one_and_are_listed() -> None:
    """Factors for hours 0-11 only (0.3); hours 12-23 take the annual 0.5. 1 kWh an hour:
    12 × 0.3 + 12 × 0.5 = 9.6 kg."""
    hourly = parse_factor_csv(_factor_csv(range(12), 0.3))["US-SRTV"]
    grid = GridInputs("US-SRTV", "US", 0.5, None, hourly)
    factors = electricity_factors(grid, np.ones(24), H0)
    assert float(factors.kg_per_kwh[0].sum()) == pytest.approx(9.6)
    assert factors.fallback_hours.tolist() == list(range(H0 + 12, H0 + 24))
    assert factors.remainder_rule == "grid average (no residual mix published)"


def test_on_site_generation_counts_in_every_method() -> None:
    """On-site solar of 4 kWh at 0.05 in an hour drawing 10: 4 × 0.05 + 6 × grid.
    Location (grid 0.3): 0.2 + 1.8 = 2.0; market (residual 0.4): 0.2 + 2.4 = 2.6."""
    onsite = HourlyInstrument("roof", "onsite", "solar", 0.05, "", np.array([H0]), np.array([4.0]))
    grid = GridInputs("US-SRTV", "US", 0.3, 0.4, None, (onsite,))
    factors = electricity_factors(grid, np.array([10.0]), H0)
    assert (factors.kg_per_kwh[:, 0] * 10).tolist() == pytest.approx([2.0, 2.6, 2.6])


def test_an_instrument_from_another_market_is_refused() -> None:
    grid = GridInputs("US-SRTV", "US", 0.3, 0.4, None, (_ppa(5, market="DE"),))
    with pytest.raises(PlantDataError, match="Scope 2 requires the same market"):
        electricity_factors(grid, np.ones(24), H0)


def test_factor_csv_problems_all_at_once() -> None:
    text = (
        "region,hour_start_utc,kg_co2e_per_kwh,source\n"
        "US-SRTV,2026-06-01T00:30:00Z,0.3,x\n"
        "US-SRTV,2026-06-01T01:00:00Z,-1,x\n"
        "US-SRTV,2026-06-01T02:00:00Z,0.3,\n"
    )
    with pytest.raises(PlantDataError) as caught:
        parse_factor_csv(text)
    assert [p for p, _ in caught.value.problems] == [
        ("rows", 0, "hour_start_utc"),
        ("rows", 1, "kg_co2e_per_kwh"),
        ("rows", 2, "source"),
    ]


def test_electricity_maps_export() -> None:
    """Two hours of zone US-TEN-TVA at 400 and 380 g/kWh (life cycle) → 0.40, 0.38 kg/kWh for
    US-SRTV; another zone in the same file is skipped."""
    text = (
        "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),"
        "Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,"
        "Data Source,Data Estimated,Data Estimation Method\n"
        "2026-06-01 00:00:00,United States,Tennessee Valley Authority,US-TEN-TVA,350,400,"
        "50,15,eia.gov,false,\n"
        "2026-06-01 01:00:00,United States,Tennessee Valley Authority,US-TEN-TVA,330,380,"
        "52,16,eia.gov,false,\n"
        "2026-06-01 00:00:00,United States,Duke,US-CAR-DUK,300,350,50,15,eia.gov,false,\n"
    )
    series = parse_electricity_maps_csv(text, {"US-TEN-TVA": "US-SRTV"})["US-SRTV"]
    assert series.hour.tolist() == [H0, H0 + 1]
    assert series.kg_per_kwh.tolist() == pytest.approx([0.40, 0.38])
    direct = parse_electricity_maps_csv(text, {"US-TEN-TVA": "US-SRTV"}, basis="direct")
    assert direct["US-SRTV"].kg_per_kwh.tolist() == pytest.approx([0.35, 0.33])
