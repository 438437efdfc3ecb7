"""A synthetic, ecoinvent-sized background in a real Brightway project, and two bw2calc baselines.

The shipped background has 164 activities, far too few to tell engine designs apart; ecoinvent 3.x
has ~20,000 activities and ~250,000 technosphere nonzeros. :func:`generate_background` writes a
seeded look-alike of that shape (a sparse near-DAG of ordinary activities plus electricity and
transport "hubs" that nearly everything consumes and that consume each other, so the matrix has
cycles and a large strongly connected component), with lognormal uncertainty on every input so
Monte Carlo has something to sample.

Baselines, on the same BOMs: :func:`naive_lca` (a new ``bw2calc.LCA`` per BOM) and
:func:`fast_scores_multi_lca` (bw2calc 3.1 ``FastScoresOnlyMultiLCA``, adjoint direction).

Run ``python -m benchmarks.synthetic`` (2,000 activities, 200 BOMs) or
``python -m benchmarks.synthetic --activities 20000 --naive-boms 5``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lca.brightway import use_brightway_dir

Progress = Callable[[str], None]
Bom = list[tuple[int, float]]

BIOSPHERE_DATABASE = "synthetic-biosphere"
TECHNOSPHERE_DATABASE = "synthetic-technosphere"
METHOD = ("synthetic", "climate change", "GWP100-like")
N_ELECTRICITY_HUBS = 20
N_TRANSPORT_HUBS = 10
N_HUBS = N_ELECTRICITY_HUBS + N_TRANSPORT_HUBS
# stats_arrays uncertainty type ids (stats_arrays.LognormalUncertainty.id == 2).
_NO_UNCERTAINTY = 0
_LOGNORMAL = 2
# Share of an ordinary activity's generic inputs taken from one of the next _BACK_EDGE_WINDOW
# activities instead of one with a smaller index: these back edges make the matrix cyclic
# beyond the hubs. They are local (within a "sector"): uniformly random back edges add a
# random-graph core that doubled SuperLU's fill-in (6.9 M vs 3.6 M nonzeros in L+U at 5,000
# activities) without making the data any more ecoinvent-like.
_BACK_EDGE_SHARE = 0.05
_BACK_EDGE_WINDOW = 50
# Share of generic inputs with a negative amount (waste treatment / by-products in ecoinvent).
_NEGATIVE_INPUT_SHARE = 0.02
# Column sums of |inputs| per unit of output are drawn from this range. Since every column of
# the input matrix M has 1-norm < 0.6, its spectral radius is < 0.6 and A = I - M is well
# conditioned (‖A⁻¹‖₁ ≤ 1 / (1 - 0.6) = 2.5), whatever cycles the hubs and back edges create.
_INPUT_SHARE_RANGE = (0.15, 0.55)


@dataclass(frozen=True)
class SyntheticBackground:
    """Where the synthetic background lives and how large it is."""

    brightway_dir: Path
    project: str
    biosphere_database: str
    technosphere_database: str
    method: tuple[str, ...]
    activity_ids: tuple[int, ...]  # Brightway node ids, in generation (index) order
    activity_codes: tuple[str, ...]
    n_nonzeros: int  # technosphere matrix, production diagonal included
    n_biosphere_nonzeros: int


@dataclass(frozen=True)
class _Structure:
    """Exchanges as flat arrays (column = consuming activity index), before any Brightway I/O."""

    tech_rows: np.ndarray
    tech_cols: np.ndarray
    tech_amounts: np.ndarray
    bio_rows: np.ndarray
    bio_cols: np.ndarray
    bio_amounts: np.ndarray
    factors: np.ndarray  # characterisation factor per flow


# --------------------------------------------------------------------------- structure


def _generic_inputs(rng: np.random.Generator, column: int, n: int, count: int) -> np.ndarray:
    """Indices of ``count`` distinct ordinary suppliers of ``column`` (no hubs, not itself)."""
    if column < N_HUBS:
        # Hubs take fuels and infrastructure from anywhere: the cycles through the whole
        # database that give it one large strongly connected component, as in ecoinvent.
        return np.unique(rng.integers(N_HUBS, n, size=count))
    lower = column - N_HUBS  # ordinary activities with a smaller index
    back = (rng.random(count) < _BACK_EDGE_SHARE) | (lower <= 0)
    # u² skews choices toward small indices: a few basic materials are consumed by many
    # activities, as steel or diesel are in ecoinvent (heavy-tailed in-degree).
    forward = N_HUBS + (lower * rng.random(count) ** 2).astype(np.int64)
    nearby = np.minimum(column + rng.integers(1, _BACK_EDGE_WINDOW + 1, size=count), n - 1)
    chosen = np.unique(np.where(back, nearby, forward))
    return chosen[chosen != column]


def _hub_inputs(rng: np.random.Generator, column: int) -> np.ndarray:
    """Hubs consumed by ``column``: an electricity mix and transport, each sometimes two."""
    if column < N_ELECTRICITY_HUBS:
        # Electricity mixes import from 2-4 other mixes and use 1 transport hub.
        electricity = rng.choice(N_ELECTRICITY_HUBS, size=rng.integers(2, 5), replace=False)
        transport = N_ELECTRICITY_HUBS + rng.integers(0, N_TRANSPORT_HUBS, size=1)
    elif column < N_HUBS:
        electricity = rng.choice(N_ELECTRICITY_HUBS, size=rng.integers(1, 3), replace=False)
        transport = N_ELECTRICITY_HUBS + rng.choice(
            N_TRANSPORT_HUBS, size=rng.integers(1, 3), replace=False
        )
    elif rng.random() < 0.97:  # "almost every activity"
        electricity = rng.choice(N_ELECTRICITY_HUBS, size=1 + (rng.random() < 0.3), replace=False)
        transport = N_ELECTRICITY_HUBS + rng.choice(
            N_TRANSPORT_HUBS, size=1 + (rng.random() < 0.5), replace=False
        )
    else:
        return np.empty(0, dtype=np.int64)
    hubs = np.concatenate([electricity, transport]).astype(np.int64)
    return hubs[hubs != column]


def _column_amounts(rng: np.random.Generator, n_generic: int, n_hub: int) -> np.ndarray:
    """Input amounts per unit of output: lognormal shares scaled to a column sum < 0.6."""
    weights = rng.lognormal(mean=0.0, sigma=1.0, size=n_generic + n_hub)
    if weights.size == 0:
        return weights  # a column without inputs (rare): nothing to scale
    signs = np.ones_like(weights)
    signs[:n_generic][rng.random(n_generic) < _NEGATIVE_INPUT_SHARE] = -1.0
    total = rng.uniform(*_INPUT_SHARE_RANGE)
    return signs * weights * (total / weights.sum())


def _technosphere(
    rng: np.random.Generator, n: int, nnz_per_column: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Input (row, column, amount) arrays; production exchanges are not included."""
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    amounts: list[np.ndarray] = []
    for column in range(n):
        hubs = _hub_inputs(rng, column)
        # Hubs take ~4 generic inputs; ordinary activities fill up to ~nnz_per_column
        # nonzeros, the production diagonal included.
        mean_generic = 4.0 if column < N_HUBS else max(nnz_per_column - 1.0 - hubs.size, 0.0)
        generic = _generic_inputs(rng, column, n, int(rng.poisson(mean_generic)))
        suppliers = np.concatenate([generic, hubs])
        rows.append(suppliers)
        cols.append(np.full(suppliers.size, column, dtype=np.int64))
        amounts.append(_column_amounts(rng, generic.size, hubs.size))
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(amounts)


def _biosphere(
    rng: np.random.Generator, n: int, n_flows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """~3 emissions per activity; flows Zipf-weighted so a few (CO2-like) are everywhere."""
    popularity = 1.0 / np.arange(1, n_flows + 1)
    popularity /= popularity.sum()
    counts = np.clip(rng.poisson(3.0, size=n), 1, n_flows)
    rows: list[np.ndarray] = []
    for count in counts:
        rows.append(np.sort(rng.choice(n_flows, size=count, replace=False, p=popularity)))
    flows = np.concatenate(rows)
    columns = np.repeat(np.arange(n, dtype=np.int64), [r.size for r in rows])
    amounts = rng.lognormal(mean=-2.0, sigma=1.5, size=flows.size)
    return flows, columns, amounts


def _characterisation_factors(rng: np.random.Generator, n_flows: int) -> np.ndarray:
    """Positive lognormal factors; ~3 % negative and small (uptake-like), so scores stay > 0."""
    factors = rng.lognormal(mean=0.0, sigma=2.0, size=n_flows)
    negative = rng.random(n_flows) < 0.03
    factors[negative] *= -0.01
    return factors


def exchange_arrays(seed: int, n: int, n_flows: int = 200, nnz_per_column: float = 12.5) -> Any:
    """The seeded exchanges of :func:`generate_background` as flat arrays (fields ``tech_rows``,
    ``tech_cols``, ``tech_amounts``, ``bio_rows``, ``bio_cols``, ``bio_amounts``; column =
    consuming activity), for writers of other formats (benchmarks/synthetic_ecospold2.py)."""
    return _structure(seed, n, n_flows, nnz_per_column)


def _structure(seed: int, n: int, n_flows: int, nnz_per_column: float) -> _Structure:
    rng = np.random.default_rng(seed)
    tech = _technosphere(rng, n, nnz_per_column)
    bio = _biosphere(rng, n, n_flows)
    return _Structure(*tech, *bio, factors=_characterisation_factors(rng, n_flows))


# --------------------------------------------------------------------------- Brightway data


def _activity_code(index: int) -> str:
    return f"act-{index:06d}"


def _flow_code(index: int) -> str:
    return f"flow-{index:04d}"


def _activity_unit(index: int) -> tuple[str, str]:
    if index < N_ELECTRICITY_HUBS:
        return f"market for electricity, mix {index}", "kilowatt hour"
    if index < N_HUBS:
        return f"market for transport, mode {index - N_ELECTRICITY_HUBS}", "ton kilometer"
    return f"synthetic activity {index}", "kilogram"


def _uncertain_exchange(
    input_key: tuple[str, str], amount: float, kind: str, scale: float
) -> dict[str, Any]:
    return {
        "input": input_key,
        "amount": amount,
        "type": kind,
        "uncertainty type": _LOGNORMAL,
        "loc": math.log(abs(amount)),
        "scale": scale,
        "negative": amount < 0,
    }


def _technosphere_data(
    rng: np.random.Generator, structure: _Structure, n: int
) -> dict[tuple[str, str], dict[str, Any]]:
    """The technosphere database as the plain dict ``Database.write`` takes."""
    data: dict[tuple[str, str], dict[str, Any]] = {}
    for index in range(n):
        code = _activity_code(index)
        name, unit = _activity_unit(index)
        data[(TECHNOSPHERE_DATABASE, code)] = {
            "name": name,
            "reference product": name,
            "unit": unit,
            "location": "GLO",
            "type": "process",
            # Production stays exactly 1 (no uncertainty): sampling it would just rescale the
            # column, and ecoinvent reference exchanges carry none either.
            "exchanges": [
                {
                    "input": (TECHNOSPHERE_DATABASE, code),
                    "amount": 1.0,
                    "type": "production",
                    "uncertainty type": _NO_UNCERTAINTY,
                }
            ],
        }
    tech_scales = rng.uniform(0.1, 0.3, size=structure.tech_amounts.size)
    for row, col, amount, scale in zip(
        structure.tech_rows.tolist(),
        structure.tech_cols.tolist(),
        structure.tech_amounts.tolist(),
        tech_scales.tolist(),
        strict=True,
    ):
        data[(TECHNOSPHERE_DATABASE, _activity_code(col))]["exchanges"].append(
            _uncertain_exchange(
                (TECHNOSPHERE_DATABASE, _activity_code(row)), amount, "technosphere", scale
            )
        )
    bio_scales = rng.uniform(0.1, 0.3, size=structure.bio_amounts.size)
    for row, col, amount, scale in zip(
        structure.bio_rows.tolist(),
        structure.bio_cols.tolist(),
        structure.bio_amounts.tolist(),
        bio_scales.tolist(),
        strict=True,
    ):
        data[(TECHNOSPHERE_DATABASE, _activity_code(col))]["exchanges"].append(
            _uncertain_exchange((BIOSPHERE_DATABASE, _flow_code(row)), amount, "biosphere", scale)
        )
    return data


def _biosphere_data(n_flows: int) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (BIOSPHERE_DATABASE, _flow_code(index)): {
            "name": f"synthetic emission {index}",
            "unit": "kilogram",
            "type": "emission",
            "categories": ("air",),
            "exchanges": [],
        }
        for index in range(n_flows)
    }


def _fresh_project(brightway_dir: Path, project: str) -> Any:
    """Select an empty ``project`` in ``brightway_dir``, deleting an earlier one; return bw2data."""
    bw2data = use_brightway_dir(brightway_dir, project="default")
    if project in bw2data.projects:
        bw2data.projects.delete_project(project, delete_dir=True)
    return use_brightway_dir(brightway_dir, project=project)


def _write_database(bw2data: Any, name: str, data: dict[tuple[str, str], dict[str, Any]]) -> None:
    # The fastest SQLite-backend path measured in bw2data 4.8, 20,000 activities / 290,000
    # exchanges: write 11.2 s with the defaults, 10.4 s with ``searchable=False`` (the search
    # index nothing here reads), 8.3 s also with ``check_typos=False`` (schema checks of every
    # exchange we generate ourselves); then ``process`` 2.6 s, writing the datapackage bw2calc
    # reads. The ``iotable`` backend would skip SQLite for exchanges, but then the project
    # would not look like an imported ecoinvent (nodes without edges, no Database.process()).
    bw2data.Database(name).write(data, process=True, searchable=False, check_typos=False)


def _write_method(bw2data: Any, factors: np.ndarray) -> None:
    method = bw2data.Method(METHOD)
    method.register(unit="kg CO2e", description="synthetic characterisation factors")
    method.write(
        [
            ((BIOSPHERE_DATABASE, _flow_code(index)), float(factor))
            for index, factor in enumerate(factors)
        ]
    )


def _activity_ids(bw2data: Any, n: int) -> tuple[int, ...]:
    """Node ids in index order, in one query (``get_node`` per code would be 20,000 queries)."""
    activity_dataset = bw2data.backends.ActivityDataset
    by_code = dict(
        activity_dataset.select(activity_dataset.code, activity_dataset.id)
        .where(activity_dataset.database == TECHNOSPHERE_DATABASE)
        .tuples()
    )
    return tuple(int(by_code[_activity_code(index)]) for index in range(n))


def generate_background(
    brightway_dir: Path,
    n_activities: int,
    seed: int,
    *,
    nnz_per_column: float = 12.5,
    n_flows: int = 200,
    progress: Progress = print,
) -> SyntheticBackground:
    """Write a seeded synthetic background (biosphere, technosphere, method) as a Brightway project.

    The same ``(n_activities, seed, nnz_per_column, n_flows)`` always gives the same exchanges.
    """
    if n_activities < 10 * N_HUBS:
        raise ValueError(f"n_activities must be at least {10 * N_HUBS}, got {n_activities}")
    project = f"synthetic-{n_activities}-{seed}"
    started = time.perf_counter()
    structure = _structure(seed, n_activities, n_flows, nnz_per_column)
    # A second stream for the uncertainty scales, so the structure does not depend on them.
    data = _technosphere_data(np.random.default_rng([seed, 1]), structure, n_activities)
    progress(
        f"generated {n_activities} activities, {structure.tech_amounts.size} inputs, "
        f"{structure.bio_amounts.size} emissions in {time.perf_counter() - started:.1f} s"
    )
    bw2data = _fresh_project(Path(brightway_dir), project)
    step = time.perf_counter()
    _write_database(bw2data, BIOSPHERE_DATABASE, _biosphere_data(n_flows))
    _write_database(bw2data, TECHNOSPHERE_DATABASE, data)
    progress(f"wrote and processed the databases in {time.perf_counter() - step:.1f} s")
    _write_method(bw2data, structure.factors)
    return SyntheticBackground(
        brightway_dir=Path(brightway_dir).resolve(),
        project=project,
        biosphere_database=BIOSPHERE_DATABASE,
        technosphere_database=TECHNOSPHERE_DATABASE,
        method=METHOD,
        activity_ids=_activity_ids(bw2data, n_activities),
        activity_codes=tuple(_activity_code(index) for index in range(n_activities)),
        n_nonzeros=n_activities + structure.tech_amounts.size,
        n_biosphere_nonzeros=structure.bio_amounts.size,
    )


def random_boms(
    background: SyntheticBackground,
    count: int,
    seed: int,
    min_lines: int = 10,
    max_lines: int = 40,
) -> list[Bom]:
    """``count`` BOMs of distinct background activities with lognormal amounts (median 0.1)."""
    rng = np.random.default_rng(seed)
    ids = np.asarray(background.activity_ids, dtype=np.int64)
    boms: list[Bom] = []
    for _ in range(count):
        lines = int(rng.integers(min_lines, max_lines + 1))
        chosen = rng.choice(ids, size=lines, replace=False)
        amounts = rng.lognormal(mean=math.log(0.1), sigma=1.0, size=lines)
        boms.append([(int(i), float(a)) for i, a in zip(chosen, amounts, strict=True)])
    return boms


# --------------------------------------------------------------------------- baselines


def _select(background: SyntheticBackground) -> Any:
    return use_brightway_dir(background.brightway_dir, project=background.project)


def naive_lca(background: SyntheticBackground, boms: Sequence[Bom]) -> tuple[np.ndarray, float]:
    """Score each BOM with a new ``bw2calc.LCA`` (``lci(); lcia()``); return scores, seconds."""
    import bw2calc

    bw2data = _select(background)
    # A naive service would call prepare_lca_inputs per request (SQL look-ups of every demand
    # key and the database graph). We prepare once, outside the timing, so the baseline is the
    # cost of bw2calc itself (matrix build + SuperLU solve per BOM), not of a strawman.
    _, data_objs, _ = bw2data.prepare_lca_inputs(
        {background.activity_ids[0]: 1.0}, method=background.method, remapping=False
    )
    scores = np.empty(len(boms))
    started = time.perf_counter()
    for index, bom in enumerate(boms):
        lca = bw2calc.LCA(dict(bom), data_objs=data_objs)
        lca.lci()
        lca.lcia()
        scores[index] = lca.score
    return scores, time.perf_counter() - started


@contextlib.contextmanager
def _scipy_fallback_for_fast_scores() -> Iterator[None]:
    """Let ``FastScoresOnlyMultiLCA`` run on SciPy's SuperLU when neither PARDISO nor UMFPACK is.

    bw2calc 3.1 refuses to calculate without one of them (``calculate`` raises ValueError), yet
    its UMFPACK branch only calls ``bw2calc.factorized`` — which *is* ``scipy.sparse.linalg.
    factorized`` (SuperLU) when pypardiso is absent — on ``Aᵀ`` in CSC. Raising the flag around
    ``calculate`` alone (not ``__init__``, which would warn about UMFPACK) therefore runs the
    unchanged adjoint algorithm on the solver our CI machine has (pypardiso is the optional
    ``fast`` extra).
    """
    import bw2calc.fast_scores as fast_scores

    if fast_scores.PYPARDISO or fast_scores.UMFPACK:
        yield
        return
    fast_scores.UMFPACK = True
    try:
        yield
    finally:
        fast_scores.UMFPACK = False


def fast_scores_multi_lca(
    background: SyntheticBackground, boms: Sequence[Bom]
) -> tuple[np.ndarray, float]:
    """Score all BOMs with one ``FastScoresOnlyMultiLCA(direction="adjoint")``, end to end."""
    import bw2calc

    bw2data = _select(background)
    started = time.perf_counter()
    demands = {str(index): dict(bom) for index, bom in enumerate(boms)}
    method_config = {"impact_categories": [background.method]}
    # The documented MultiLCA input path; it looks up the database of every demand id (one
    # query each), which is part of what this baseline costs a caller.
    data_objs = bw2data.get_multilca_data_objs(demands, method_config)
    mlca = bw2calc.FastScoresOnlyMultiLCA(
        demands=demands, method_config=method_config, data_objs=data_objs, direction="adjoint"
    )
    with _scipy_fallback_for_fast_scores():
        result = mlca.calculate()
    # One impact category: row 0, columns in ``demands`` order.
    scores = np.asarray(result.values[0], dtype=float)
    return scores, time.perf_counter() - started


def max_relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest ``|a - b| / |b|`` (scores are positive by construction, see the factors)."""
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), np.finfo(float).tiny)))


# --------------------------------------------------------------------------- command line


def _peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _run(args: argparse.Namespace, brightway_dir: Path) -> int:
    started = time.perf_counter()
    background = generate_background(brightway_dir, args.activities, args.seed)
    generation_s = time.perf_counter() - started
    print(
        f"background: {args.activities} activities, {background.n_nonzeros} technosphere and "
        f"{background.n_biosphere_nonzeros} biosphere nonzeros, generated in {generation_s:.1f} s"
    )
    boms = random_boms(background, args.boms, args.seed)
    fast, fast_s = fast_scores_multi_lca(background, boms)
    print(
        f"FastScoresOnlyMultiLCA (adjoint): {fast_s:8.3f} s for {len(boms)} BOMs "
        f"({fast_s / len(boms) * 1e3:.2f} ms per BOM, end to end)"
    )
    sample = boms[: args.naive_boms or len(boms)]
    naive, naive_s = naive_lca(background, sample)
    print(
        f"bw2calc.LCA per BOM:              {naive_s:8.3f} s for {len(sample)} BOMs "
        f"({naive_s / len(sample) * 1e3:.2f} ms per BOM)"
    )
    worst = max_relative_difference(fast[: len(sample)], naive)
    print(f"largest relative difference: {worst:.2e}; peak memory {_peak_memory_mib():.0f} MiB")
    if not worst < 1e-9:
        print("FAIL: the two baselines disagree beyond 1e-9", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--boms", type=int, default=200)
    parser.add_argument(
        "--naive-boms", type=int, default=0, help="BOMs timed with bw2calc.LCA (0: all)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--brightway-dir", type=Path, help="kept; default: a deleted temp dir")
    args = parser.parse_args(argv)
    if args.brightway_dir is not None:
        return _run(args, args.brightway_dir)
    temporary = Path(tempfile.mkdtemp(prefix="cellcarbon-synthetic-"))
    try:
        return _run(args, temporary / "brightway")
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
