"""The NDJSON lines a batch writes by hand are the JSON that json.dumps writes for them."""

from __future__ import annotations

import json
import math

import numpy as np

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


def test_a_chunk_written_a_column_at_a_time_is_the_lines_written_one_by_one() -> None:
    """The columnar writer of a streamed answer prints what :func:`_line` prints per variant:
    finite and non-finite figures, shared contributors, a variant the engine refused."""
    from app.batches.service import chunk_lines
    from lca.batch import ScoredColumns, VariantProblem

    rows = [_scores(16.6044), _scores(2.5e-7), _scores(math.inf)]
    problem = VariantProblem("bad", ("scenario",), "material 'x' is not in the background")
    columns = ScoredColumns(
        keys=[rows[0].key, "bad", rows[1].key, rows[2].key],
        kg_co2e_per_cell=np.array([r.kg_co2e_per_cell for r in (rows[0], rows[0], *rows[1:])]),
        kg_co2e_per_kwh=np.array([r.kg_co2e_per_kwh for r in (rows[0], rows[0], *rows[1:])]),
        kg_co2e_per_cell_market_based=np.array([0.1 + 0.2] * 4),
        kg_co2e_per_kwh_market_based=np.array([1e-300] * 4),
        kg_co2e_per_cell_gwp20=np.array([18.5261] * 4),
        nominal_energy_kwh=np.array([0.219] * 4),
        top=[rows[0].top, (), rows[0].top, rows[0].top],
        problems={1: problem},
    )
    expected = [_line(rows[0], ["variants", 7], {}), _line(problem, ["variants", 8], {})]
    expected += [_line(r, ["variants", 9 + n], {}) for n, r in enumerate(rows[1:], start=1)]
    assert chunk_lines(columns, 7, {}) == expected
    finite = ScoredColumns(
        keys=[rows[0].key],
        kg_co2e_per_cell=np.array([16.6044]),
        kg_co2e_per_kwh=np.array([16.6044 / 0.219]),
        kg_co2e_per_cell_market_based=np.array([0.1 + 0.2]),
        kg_co2e_per_kwh_market_based=np.array([1e-300]),
        kg_co2e_per_cell_gwp20=np.array([18.5261]),
        nominal_energy_kwh=np.array([0.219]),
        top=[rows[0].top],
        problems={},
    )
    assert chunk_lines(finite, 0, {}) == [_line(rows[0], ["variants", 0], {})]
