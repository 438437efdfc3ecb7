"""Plant factors from the shipped background agree with the supplier path's prices."""

from __future__ import annotations

import pytest

from lca.plant.model import PlantDataError
from lca.plant.pricing import carrier_factors, grid_inputs, technology_factor


def test_spring_hill_factors_from_the_background(real_background) -> None:  # type: ignore[no-untyped-def]
    """US-SRTV: location factor = the grid activity's unit score; residual mix 0.40992 kg/kWh
    (Green-e 2025, data/grid/regions.csv); natural gas priced per MJ by the burner activity."""
    grid = grid_inputs(real_background, "US-SRTV")
    assert grid.annual_location_kg_per_kwh == pytest.approx(
        real_background.unit_score("electricity_grid_us_srtv")
    )
    assert grid.residual_mix_kg_per_kwh == pytest.approx(0.40992)
    assert 0.3 < grid.annual_location_kg_per_kwh < 0.7
    gas = carrier_factors(real_background)["natural_gas"]
    assert gas == pytest.approx(real_background.unit_score("natural_gas_burned_industrial"))
    assert 0.04 < gas < 0.09  # kg CO2e per MJ burned, with upstream
    assert technology_factor(real_background, "solar") < 0.1
    with pytest.raises(PlantDataError):
        grid_inputs(real_background, "ATLANTIS")
