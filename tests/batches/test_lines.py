"""The NDJSON lines a batch writes by hand are the JSON that json.dumps writes for them."""

from __future__ import annotations

import json
import math

from app.batches.service import _line
from lca.batch import Contributor, VariantScores


def _scores(per_cell: float) -> VariantScores:
    return VariantScores(
        key='cell "A" ☂',
        kg_co2e_per_cell=per_cell,
        kg_co2e_per_kwh=per_cell / 0.219,
        kg_co2e_per_cell_market_based=0.1 + 0.2,
        kg_co2e_per_kwh_market_based=1e-300,
        kg_co2e_per_cell_gwp20=18.5261,
        nominal_energy_kwh=0.219,
        top=(Contributor("line 1: nmc811_cam", "nmc811_cam", 8.4474, 0.5087),),
    )


def test_a_line_parses_to_the_same_figures_bit_for_bit() -> None:
    scores = _scores(16.6044)
    line = json.loads(_line(scores, ["variants", 0], {}))
    assert line == {
        "key": 'cell "A" ☂',
        "kg_co2e_per_cell": 16.6044,
        "kg_co2e_per_kwh": 16.6044 / 0.219,
        "kg_co2e_per_cell_market_based": 0.30000000000000004,
        "kg_co2e_per_kwh_market_based": 1e-300,
        "kg_co2e_per_cell_gwp20": 18.5261,
        "nominal_energy_kwh": 0.219,
        "top": [
            {
                "label": "line 1: nmc811_cam",
                "material": "nmc811_cam",
                "kg_co2e": 8.4474,
                "share": 0.5087,
            }
        ],
    }


def test_a_non_finite_figure_is_null_not_invalid_json() -> None:
    line = json.loads(_line(_scores(math.inf), ["variants", 0], {}))
    assert line["kg_co2e_per_cell"] is None and line["kg_co2e_per_kwh"] is None
    assert line["kg_co2e_per_cell_gwp20"] == 18.5261
    nan_line = _line(_scores(math.nan), ["variants", 0], {})
    assert "NaN" not in nan_line and json.loads(nan_line)["kg_co2e_per_cell"] is None
