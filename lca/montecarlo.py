"""Monte Carlo over the uncertainty shipped with the background and given on foreground inputs.

Background uncertainty comes from the ``stats_arrays`` distributions that bw2data stored with
every exchange (lognormal, from the ``gsd`` column of ``data/``). All draws are made at once
with a seeded generator, so a run is reproducible from its seed. Each iteration rebuilds ``A``
and ``B`` from the sampled values and solves ``A s = f`` once (a small sparse LU); when only the
foreground is uncertain, the background's static unit scores are reused and the whole run is
one matrix product.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from lca.background import INDICATORS, Background
from lca.footprint import ForegroundInput, Processes

PERCENTILES = (2.5, 5.0, 50.0, 95.0, 97.5)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MonteCarloResult:
    """Distribution of a footprint (kg CO2e, GWP100) over ``iterations`` draws."""

    iterations: int
    seed: int
    mean: float
    sd: float
    percentiles: dict[str, float]
    static: float
    background_uncertainty: bool
    foreground_uncertainty: bool


@dataclass(frozen=True)
class _Entries:
    """Matrix entries of one matrix: positions, static signed values and their distributions."""

    rows: np.ndarray
    cols: np.ndarray
    sign: np.ndarray
    static: np.ndarray
    params: np.ndarray  # stats_arrays structured array, one row per entry
    uncertain: np.ndarray  # boolean mask of entries with a distribution


def _entries(
    data_objs: Sequence[Any], matrix: str, row_index: dict[int, int], col_index: dict[int, int]
) -> _Entries:
    from bw_processing import UNCERTAINTY_DTYPE

    rows, cols, signs, values, params = [], [], [], [], []
    for package in data_objs:
        groups: dict[str, dict[str, Any]] = {}
        for resource in package.resources:
            if resource.get("matrix") == matrix:
                array = package.get_resource(resource["name"])[0]
                groups.setdefault(resource["group"], {})[resource["kind"]] = array
        for arrays in groups.values():
            indices = arrays["indices"]
            if len(indices) == 0:
                continue
            data = np.asarray(arrays["data"], dtype=np.float64)
            flip = arrays.get("flip", np.zeros(len(data), dtype=bool))
            distributions = arrays.get("distributions")
            if distributions is None:
                distributions = np.zeros(len(data), dtype=UNCERTAINTY_DTYPE)
                distributions["loc"] = data
            rows.append(np.array([row_index[int(r)] for r in indices["row"]]))
            cols.append(np.array([col_index[int(c)] for c in indices["col"]]))
            signs.append(np.where(flip, -1.0, 1.0))
            values.append(data)
            params.append(distributions)
    all_params = np.concatenate(params)
    return _Entries(
        rows=np.concatenate(rows),
        cols=np.concatenate(cols),
        sign=np.concatenate(signs),
        static=np.concatenate(values),
        params=all_params,
        uncertain=all_params["uncertainty_type"] > 1,
    )


def _sample(entries: _Entries, iterations: int, rng: np.random.Generator) -> np.ndarray:
    """(iterations × entries) sampled values; entries without a distribution keep their value."""
    draws = np.tile(entries.static, (iterations, 1))
    params = entries.params[entries.uncertain]
    if len(params) == 0:
        return draws
    types = params["uncertainty_type"]
    supported = (types == 2) | (types == 3)
    if not supported.all():
        raise NotImplementedError(
            f"uncertainty types {sorted(set(types[~supported].tolist()))} are not sampled yet"
        )
    loc = params["loc"].astype(np.float64)
    scale = params["scale"].astype(np.float64)
    lognormal = types == 2
    sampled = np.empty((iterations, len(params)))
    # Lognormal: exp(N(loc, scale)), sign restored for negative amounts (stats_arrays convention).
    sampled[:, lognormal] = np.exp(
        rng.normal(loc[lognormal], scale[lognormal], (iterations, lognormal.sum()))
    )
    sampled[:, lognormal] *= np.where(params["negative"][lognormal], -1.0, 1.0)
    normal = types == 3
    sampled[:, normal] = rng.normal(loc[normal], scale[normal], (iterations, normal.sum()))
    draws[:, entries.uncertain] = sampled
    return draws


def _expand(
    background: Background, inputs: Sequence[ForegroundInput], processes: Processes
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Per unit of each input: its demand on background products (inputs × products) and the
    GWP100 of emissions outside the background (a foreground process's own, or an aggregated
    PCF), which are not sampled."""
    engine = background.engine
    column = INDICATORS.index("gwp100")
    demand = sp.lil_matrix((len(inputs), len(engine.product_ids)))
    direct = np.zeros(len(inputs))
    for i, item in enumerate(inputs):
        process = processes.get(item.product)
        if process is None:
            demand[i, engine.product_index[background.product(item.product).brightway_id]] += 1.0
        elif process.aggregated_row is not None:
            direct[i] = process.aggregated_row[column]
        else:
            for product, amount in process.inputs:
                demand[i, engine.product_index[background.product(product).brightway_id]] += amount
            direct[i] = sum(
                kg * background.flow_row(flow)[column] for flow, kg in process.emissions
            )
    return demand.tocsr(), direct


def monte_carlo(
    background: Background,
    inputs: Sequence[ForegroundInput],
    *,
    iterations: int = 1000,
    seed: int = 0,
    background_uncertainty: bool = True,
    foreground_gsd: Sequence[float | None] | None = None,
    processes: Processes | None = None,
    progress: Progress | None = None,
) -> MonteCarloResult:
    """Distribution of the GWP100 footprint of ``inputs`` (seeded, reproducible).

    ``foreground_gsd`` gives each input a lognormal geometric standard deviation (None: fixed);
    inputs may name foreground ``processes`` (supplier-specific ones), as in
    :func:`lca.footprint.compute`.
    """
    if iterations < 2:
        raise ValueError("a Monte Carlo run needs at least 2 iterations")
    rng = np.random.default_rng(seed)
    engine = background.engine
    column = engine.indicator("gwp100")
    demand_per_unit, direct_per_unit = _expand(background, inputs, processes or {})
    base = np.array([i.amount for i in inputs])
    amounts = np.tile(base, (iterations, 1))
    gsd = np.array([g or 1.0 for g in (foreground_gsd or [None] * len(inputs))])
    foreground_uncertain = bool((gsd > 1).any())
    if foreground_uncertain:
        amounts *= np.exp(rng.normal(0.0, np.log(gsd), amounts.shape))
    unit_rows = demand_per_unit @ engine.unit_scores[:, column] + direct_per_unit
    static = float(base @ unit_rows)
    if background_uncertainty:
        demands = np.asarray((sp.csr_matrix(amounts) @ demand_per_unit).todense())
        scores = _with_background_draws(background, demands, column, rng, progress)
        scores += amounts @ direct_per_unit
    else:
        scores = amounts @ unit_rows
        if progress:
            progress(iterations, iterations)
    return MonteCarloResult(
        iterations=iterations,
        seed=seed,
        mean=float(scores.mean()),
        sd=float(scores.std(ddof=1)),
        percentiles={f"p{p:g}": float(np.percentile(scores, p)) for p in PERCENTILES},
        static=static,
        background_uncertainty=background_uncertainty,
        foreground_uncertainty=foreground_uncertain,
    )


def _with_background_draws(
    background: Background,
    demands: np.ndarray,
    column: int,
    rng: np.random.Generator,
    progress: Progress | None,
) -> np.ndarray:
    """Scores of ``demands`` (iterations × products) with A and B drawn anew each iteration."""
    engine = background.engine
    flow_index = {int(f): i for i, f in enumerate(engine.flow_ids)}
    technosphere = _entries(
        background.data_objs, "technosphere_matrix", engine.product_index, engine.activity_index
    )
    biosphere = _entries(
        background.data_objs, "biosphere_matrix", flow_index, engine.activity_index
    )
    iterations = len(demands)
    a_draws = _sample(technosphere, iterations, rng) * technosphere.sign
    b_draws = _sample(biosphere, iterations, rng) * biosphere.sign
    factors = np.asarray(engine.indicators[:, column].todense()).ravel()
    # Characterised biosphere entries: each sampled B entry times its flow's factor.
    b_weights = factors[biosphere.rows]
    n = len(engine.product_ids)
    scores = np.empty(iterations)
    for k in range(iterations):
        a_matrix = sp.csc_matrix((a_draws[k], (technosphere.rows, technosphere.cols)), shape=(n, n))
        supply = spla.splu(a_matrix).solve(demands[k])
        scores[k] = float(np.sum(b_draws[k] * b_weights * supply[biosphere.cols]))
        if progress and (k + 1) % 100 == 0:
            progress(k + 1, iterations)
    if progress:
        progress(iterations, iterations)
    return scores
