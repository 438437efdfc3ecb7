"""IPCC AR6 registered on an imported biosphere, and how much of a result it covers.

The test footprint is one unit of every product of the background, summed: every activity
contributes, so a flow that any activity emits shows in the shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lca.background import load_background
from lca.brightway import GWP20, GWP100, PROJECT_NAME, use_brightway_dir
from lca.imports.descriptor import MethodCoverage
from lca.imports.methods import MethodFlow, MethodLink


def register_methods(
    bw2data: Any,
    ours: Sequence[MethodFlow],
    link: MethodLink,
    shipped: dict[tuple[str, ...], list[tuple[tuple[str, str], float]]],
) -> None:
    """Register IPCC AR6 GWP100 and GWP20 on the linked flows, and each shipped method as
    ``("shipped", <name>)``, in the current Brightway project."""
    factor = {f.key: f for f in ours}
    for method, column in ((GWP100, "gwp100"), (GWP20, "gwp20")):
        cfs = []
        for match in link.matches:
            value = getattr(factor[match.key], column)
            if not np.isnan(value):
                cfs.append((match.flow, value))
        registered = bw2data.Method(method)
        registered.register(
            unit="kg CO2e",
            description=f"IPCC AR6 {column.upper()} (data/method/) linked by flow identity",
        )
        registered.write(cfs)
    for method_name, factors in shipped.items():
        registered = bw2data.Method(("shipped", *method_name))
        registered.register(unit="kg CO2e", description="climate method shipped with the import")
        registered.write([(flow, value) for flow, value in factors])


def _test_demand(background: Any) -> dict[int, float]:
    return {int(p): 1.0 for p in background.engine.product_ids}


def method_coverage(
    brightway_dir: Path, link: MethodLink, shipped_names: Sequence[tuple[str, ...]]
) -> MethodCoverage:
    """Coverage of IPCC AR6 on the background built in ``brightway_dir`` (its engine is built
    and cached here), with each flow's share of GWP100 on the test footprint."""
    background = load_background(brightway_dir)
    engine = background.engine
    demand = _test_demand(background)
    amounts = engine.biosphere @ engine.supply(demand)
    inventory = {int(f): float(a) for f, a in zip(engine.flow_ids, amounts, strict=True)}
    bw2data = use_brightway_dir(brightway_dir, PROJECT_NAME)
    key_by_id = {
        int(bw2data.get_node(database=m.flow[0], code=m.flow[1]).id): m.key for m in link.matches
    }
    gwp100 = background.engine.indicators[:, 0].toarray().ravel()
    row_of = {int(f): i for i, f in enumerate(background.engine.flow_ids)}
    total = float(engine.scores(demand)[0])
    shares = {m.key: 0.0 for m in link.matches}
    for flow_id, key in key_by_id.items():
        if flow_id in row_of and total:
            shares[key] += inventory[flow_id] * gwp100[row_of[flow_id]] / total
    uncharacterised_kg = 0.0
    for database, code in link.uncharacterised:
        flow_id = int(bw2data.get_node(database=database, code=code).id)
        uncharacterised_kg += inventory.get(flow_id, 0.0)
    found: dict[str, list[str]] = {}
    for match in link.matches:
        rules = found.setdefault(match.key, [])
        if match.rule not in rules:
            rules.append(match.rule)
    return MethodCoverage(
        method=" ".join(GWP100),
        characterised_flows=len(link.matches),
        found=found,
        missing=list(link.unmatched_method_flows),
        uncharacterised_ghg=[f"{db}:{code}" for db, code in link.uncharacterised],
        test_footprint_kg_co2e=total,
        share_by_flow={k: round(v, 12) for k, v in sorted(shares.items())},
        uncharacterised_ghg_kg=uncharacterised_kg,
        shipped_methods=[["shipped", *name] for name in shipped_names],
    )
