"""Monte Carlo: reproducible by seed, centred where it should be, and honest about its inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lca.bom import normalise_bom
from lca.footprint import STAGE_PRODUCTION, ForegroundInput
from lca.montecarlo import monte_carlo

EXAMPLE = Path(__file__).parents[2] / "data" / "examples" / "nmc811_pouch.json"


@pytest.fixture(scope="module")
def cell_inputs(real_background) -> list[ForegroundInput]:  # type: ignore[no-untyped-def]
    return normalise_bom(json.loads(EXAMPLE.read_text()), real_background).foreground_inputs()


def test_same_seed_same_result_other_seed_other_result(real_background, cell_inputs) -> None:  # type: ignore[no-untyped-def]
    first = monte_carlo(real_background, cell_inputs, iterations=300, seed=7)
    again = monte_carlo(real_background, cell_inputs, iterations=300, seed=7)
    other = monte_carlo(real_background, cell_inputs, iterations=300, seed=8)
    assert first == again
    assert other.mean != first.mean
    assert first.iterations == 300 and first.seed == 7
    p = first.percentiles
    assert p["p2.5"] < p["p5"] < p["p50"] < p["p95"] < p["p97.5"]
    assert first.sd > 0


def test_background_draws_centre_on_the_static_result(real_background, cell_inputs) -> None:  # type: ignore[no-untyped-def]
    """Lognormal draws have the static amounts as medians, so the median footprint lies within
    a few percent of the static footprint (sums of skewed terms sit slightly above it)."""
    result = monte_carlo(real_background, cell_inputs, iterations=1000, seed=1)
    assert result.static == pytest.approx(
        sum(i.amount * real_background.unit_score(i.product) for i in cell_inputs), rel=1e-12
    )
    assert result.percentiles["p50"] == pytest.approx(result.static, rel=0.1)
    assert result.percentiles["p2.5"] < result.static < result.percentiles["p97.5"]


def test_foreground_only_reuses_the_static_background(toy_background) -> None:  # type: ignore[no-untyped-def]
    """One input of 1 kWh (0.5298 kg CO2e per kWh) with gsd 2: the score is 0.5298 × a
    lognormal with median 1 and σ = ln 2, so its median is 0.5298 and its 97.5th percentile
    0.5298 × 2^1.96."""
    inputs = [ForegroundInput("e", "electricity_grid_xx", 1.0, "plant", STAGE_PRODUCTION)]
    result = monte_carlo(
        toy_background,
        inputs,
        iterations=20_000,
        seed=3,
        background_uncertainty=False,
        foreground_gsd=[2.0],
    )
    assert result.foreground_uncertainty and not result.background_uncertainty
    assert result.percentiles["p50"] == pytest.approx(0.5298, rel=0.03)
    assert result.percentiles["p97.5"] == pytest.approx(0.5298 * 2**1.96, rel=0.05)


def test_no_uncertainty_means_no_spread(toy_background) -> None:  # type: ignore[no-untyped-def]
    inputs = [ForegroundInput("h", "heat_natural_gas", 3.0, "plant", STAGE_PRODUCTION)]
    result = monte_carlo(toy_background, inputs, iterations=50, seed=0)
    assert result.sd == pytest.approx(0.0, abs=1e-15)
    assert result.mean == pytest.approx(3 * 0.056, rel=1e-6)
    assert np.isclose(result.percentiles["p2.5"], result.percentiles["p97.5"])
