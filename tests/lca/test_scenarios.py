"""Scenarios: foreground changes priced exactly, recycled content equal to a rebuilt system."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from lca.bom import normalise_bom
from lca.footprint import compute
from lca.scenarios import (
    RECYCLED_ROUTES,
    Scenario,
    ScenarioError,
    compare,
    substituted_unit_scores,
)

EXAMPLE = Path(__file__).parents[2] / "data" / "examples" / "nmc811_pouch.json"


@pytest.fixture(scope="module")
def bom(real_background):  # type: ignore[no-untyped-def]
    return normalise_bom(json.loads(EXAMPLE.read_text()), real_background)


def _rebuilt_unit_scores(engine, substitutions):  # type: ignore[no-untyped-def]
    """The slow, obvious way: edit A entry by entry and solve the whole system again."""
    a = engine.technosphere.tolil(copy=True)
    for virgin, recycled, share in substitutions:
        v_row, r_row = engine.product_index[virgin], engine.product_index[recycled]
        skip = {engine.activity_index[virgin], engine.activity_index[recycled]}
        for j in range(a.shape[1]):
            if j in skip or a[v_row, j] >= 0:
                continue
            consumed = -a[v_row, j]
            a[v_row, j] = -(1 - share) * consumed
            a[r_row, j] = a[r_row, j] - share * consumed
    return spla.spsolve(sp.csc_matrix(a).T.tocsc(), engine.direct_scores)


def test_recycled_content_equals_a_rebuilt_system(real_background) -> None:  # type: ignore[no-untyped-def]
    engine = real_background.engine
    substitutions = [
        (real_background.product(v).brightway_id, real_background.product(r).brightway_id, share)
        for (v, r), share in [
            (RECYCLED_ROUTES["Ni"][0], 0.3),
            (RECYCLED_ROUTES["Ni"][1], 0.3),
            (RECYCLED_ROUTES["Co"][0], 0.5),
            (RECYCLED_ROUTES["Li"][0], 0.2),
        ]
    ]
    fast = substituted_unit_scores(engine, substitutions)
    slow = _rebuilt_unit_scores(engine, substitutions)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_scenarios_side_by_side(real_background, bom) -> None:  # type: ignore[no-untyped-def]
    scenarios = [
        Scenario("baseline"),
        Scenario("made in Sweden", grid_region="SE"),
        Scenario(
            "natural graphite", substitutions={"graphite_synthetic_cn": "graphite_natural_cn"}
        ),
        Scenario("50 % recycled Ni, Co, Li", recycled_share={"Ni": 0.5, "Co": 0.5, "Li": 0.5}),
    ]
    results = {r.scenario.name: r for r in compare(real_background, bom, scenarios)}
    baseline = compute(real_background, bom.foreground_inputs(), bom.nominal_energy_kwh)
    assert results["baseline"].footprint.kg_co2e == pytest.approx(baseline.kg_co2e, rel=1e-12)
    assert results["baseline"].delta_kg_co2e == pytest.approx(0.0, abs=1e-12)
    # Sweden: only the plant electricity changes, priced at the SE grid's unit score.
    electricity = bom.electricity_kwh
    expected = electricity * (
        real_background.unit_score("electricity_grid_se")
        - real_background.unit_score(bom.electricity_product)
    )
    assert results["made in Sweden"].delta_kg_co2e == pytest.approx(expected, rel=1e-9)
    graphite = sum(line.amount for line in bom.lines if line.material == "graphite_synthetic_cn")
    expected = graphite * (
        real_background.unit_score("graphite_natural_cn")
        - real_background.unit_score("graphite_synthetic_cn")
    )
    assert results["natural graphite"].delta_kg_co2e == pytest.approx(expected, rel=1e-9)
    assert results["50 % recycled Ni, Co, Li"].delta_kg_co2e < 0
    lines = results["50 % recycled Ni, Co, Li"].footprint.lines
    assert sum(line.kg_co2e for line in lines) == pytest.approx(
        results["50 % recycled Ni, Co, Li"].footprint.kg_co2e, rel=1e-12
    )


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (Scenario("x", grid_region="MARS"), "unknown grid region"),
        (Scenario("x", substitutions={"nmc811_cam": "unobtainium"}), "unknown material"),
        (Scenario("x", substitutions={"nmc622_cam": "nmc811_cam"}), "no line of material"),
        (Scenario("x", recycled_share={"Pb": 0.5}), "no recycled route"),
        (Scenario("x", recycled_share={"Ni": 1.5}), "within 0..1"),
    ],
)
def test_bad_scenarios_say_why(real_background, bom, scenario: Scenario, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScenarioError, match=message):
        compare(real_background, bom, [scenario])
