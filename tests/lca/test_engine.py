"""The engine against bw2calc on random systems, and its contributions against its totals."""

from __future__ import annotations

import bw2calc
import bw_processing as bwp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lca.engine import MatrixEngine


def _random_system(seed: int, n: int, flows: int):  # type: ignore[no-untyped-def]
    """A random square technosphere (production 1 on the diagonal, inputs whose column sums
    stay below 0.9 so the system is productive), a random biosphere and random factors."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1) * 10
    flow_ids = 10_000 + np.arange(flows)
    rows, cols, values, flips = [], [], [], []
    for j in range(n):
        rows.append(ids[j]), cols.append(ids[j]), values.append(1.0), flips.append(False)
        inputs = rng.choice(n, size=min(n - 1, rng.integers(0, 4)), replace=False)
        for i in inputs:
            if i != j:
                rows.append(ids[i]), cols.append(ids[j])
                values.append(rng.uniform(0.01, 0.9 / 4)), flips.append(True)
    inventory = bwp.create_datapackage(sequential=True)
    inventory.add_persistent_vector(
        matrix="technosphere_matrix",
        name="technosphere",
        indices_array=np.array(list(zip(rows, cols, strict=True)), dtype=bwp.INDICES_DTYPE),
        data_array=np.array(values),
        flip_array=np.array(flips),
    )
    b_rows = rng.choice(flow_ids, size=2 * n)
    b_cols = rng.choice(ids, size=2 * n)
    inventory.add_persistent_vector(
        matrix="biosphere_matrix",
        name="biosphere",
        indices_array=np.array(list(zip(b_rows, b_cols, strict=True)), dtype=bwp.INDICES_DTYPE),
        data_array=rng.uniform(0.0, 5.0, 2 * n),
    )
    factors = {int(f): float(rng.uniform(-1, 30)) for f in flow_ids}
    method = bwp.create_datapackage(sequential=True)
    method.add_persistent_vector(
        matrix="characterization_matrix",
        name="method",
        indices_array=np.array([(f, f) for f in factors], dtype=bwp.INDICES_DTYPE),
        data_array=np.array(list(factors.values())),
    )
    return ids, inventory, method, factors


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 30),
    flows=st.integers(1, 6),
    demand_size=st.integers(1, 5),
)
def test_engine_equals_bw2calc_on_random_systems(
    seed: int, n: int, flows: int, demand_size: int
) -> None:
    ids, inventory, method, factors = _random_system(seed, n, flows)
    engine = MatrixEngine.from_datapackages([inventory], {"gwp100": factors}, int(ids[0]))
    rng = np.random.default_rng(seed + 1)
    demand = {
        int(p): float(rng.uniform(0.1, 10))
        for p in rng.choice(ids, min(demand_size, n), replace=False)
    }
    lca = bw2calc.LCA(demand, data_objs=[inventory, method])
    lca.lci()
    lca.lcia()
    assert engine.scores(demand)[0] == pytest.approx(lca.score, rel=1e-9, abs=1e-12)
    batch = engine.batch_scores(engine.demand_matrix([list(demand.items())] * 3))
    assert batch[:, 0] == pytest.approx([lca.score] * 3, rel=1e-9, abs=1e-12)
    supply = engine.supply(demand)
    expected_supply = {int(a): lca.supply_array[i] for a, i in lca.dicts.activity.items()}
    for index, activity in enumerate(engine.activity_ids):
        assert supply[index] == pytest.approx(expected_supply[int(activity)], rel=1e-9, abs=1e-12)
    contributions, rest = engine.upstream_contributions(demand, top=n)
    assert sum(c.score for c in contributions) + rest == pytest.approx(
        lca.score, rel=1e-9, abs=1e-9
    )


def test_upstream_tree_adds_up(real_background) -> None:  # type: ignore[no-untyped-def]
    """A node's score = its direct emissions + its inputs' scores (nothing cut off at cutoff 0)."""
    engine = real_background.engine
    product = real_background.product("nmc811_cam").brightway_id
    tree = engine.upstream_tree(product, 2.0, max_depth=2, cutoff=0.0)
    assert tree.score == pytest.approx(2.0 * real_background.unit_score("nmc811_cam"), rel=1e-12)
    assert tree.direct_score + sum(c.score for c in tree.children) == pytest.approx(
        tree.score, rel=1e-9
    )
    for child in tree.children:
        assert child.direct_score + sum(g.score for g in child.children) == pytest.approx(
            child.score, rel=1e-9
        )
    pruned = engine.upstream_tree(product, 2.0, max_depth=5, cutoff=0.05)
    assert all(abs(c.score) >= 0.05 * abs(pruned.score) for c in pruned.children)


def test_engine_cache_round_trip(tmp_path, real_background) -> None:  # type: ignore[no-untyped-def]
    engine = real_background.engine
    engine.save(tmp_path)
    loaded = MatrixEngine.load(tmp_path)
    np.testing.assert_array_equal(loaded.unit_scores, engine.unit_scores)
    assert (loaded.technosphere != engine.technosphere).nnz == 0
    demand = {int(engine.product_ids[0]): 1.0}
    np.testing.assert_allclose(loaded.supply(demand), engine.supply(demand), rtol=1e-12)


def test_contributions_of_a_cell_sum_to_its_footprint(real_background) -> None:  # type: ignore[no-untyped-def]
    import json
    from pathlib import Path

    from lca.bom import normalise_bom
    from lca.footprint import compute

    bom = normalise_bom(
        json.loads((Path(__file__).parents[2] / "data/examples/nmc811_pouch.json").read_text()),
        real_background,
    )
    inputs = bom.foreground_inputs()
    result = compute(real_background, inputs, bom.nominal_energy_kwh)
    demand: dict[int, float] = {}
    for i in inputs:
        product = real_background.product(i.product).brightway_id
        demand[product] = demand.get(product, 0.0) + i.amount
    top, rest = real_background.engine.upstream_contributions(demand, top=10)
    assert len(top) == 10
    assert sum(c.score for c in top) + rest == pytest.approx(result.kg_co2e, rel=1e-9)
    assert abs(top[0].score) >= abs(top[-1].score)
