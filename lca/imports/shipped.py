"""Score an imported background with a method shipped in its source (e.g. an openLCA package's
climate-change category), next to IPCC AR6, to compare the two.

The shipped method is registered in the background's own Brightway project as
``("shipped", <name>)`` at import. Scores reuse the engine's factorisation: one adjoint solve
gives the score of one unit of every product.
"""

from __future__ import annotations

import numpy as np

from lca.background import BRIGHTWAY_LOCK, INDICATORS, Background
from lca.brightway import use_brightway_dir
from lca.engine import characterisation_factors


def shipped_unit_scores(background: Background, method: tuple[str, ...]) -> dict[str, float]:
    """Product code → score of one unit in ``method`` (a name listed in the descriptor's
    ``coverage.shipped_methods``)."""
    scores = shipped_score_column(background, method)
    engine = background.engine
    return {
        code: float(scores[engine.product_index[product.brightway_id]])
        for code, product in background.products.items()
    }


def shipped_view(background: Background, method: tuple[str, ...]) -> Background:
    """The background priced in ``method``: its GWP100 column of unit scores replaced by the
    shipped method's (the other indicator columns, GWP20 and the split by gas, stay IPCC
    AR6). Shares the matrices and the factorisation."""
    column = INDICATORS.index("gwp100")
    scores = np.array(background.engine.unit_scores, copy=True)
    scores[:, column] = shipped_score_column(background, method)
    return background.with_unit_scores(scores)


def shipped_score_column(background: Background, method: tuple[str, ...]) -> np.ndarray:
    """Scores of one unit of every product, in the engine's product order, in ``method``."""
    with BRIGHTWAY_LOCK:
        bw2data = use_brightway_dir(background.brightway_dir, background.manifest.project)
        if tuple(method) not in bw2data.methods:
            raise KeyError(f"no method {tuple(method)} in background {background.version[:12]}")
        factors = characterisation_factors(bw2data.Method(tuple(method)).datapackage())
    engine = background.engine
    column = np.array([factors.get(int(flow), 0.0) for flow in engine.flow_ids])
    direct = engine.biosphere.T @ column
    return np.asarray(engine.factorised().solve(np.asarray(direct, dtype=np.float64), trans="T"))
