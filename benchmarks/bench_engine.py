"""Engine benchmark on a synthetic ecoinvent-sized background, against bw2calc in the same run.

``make bench`` (20,000 activities, 10,000 BOMs) and ``make bench-quick`` (2,000 activities) run:

* batch footprints with the engine (cached adjoint unit scores) vs the naive per-BOM
  ``bw2calc.LCA`` loop (a sample of BOMs) and vs bw2calc 3.1 ``FastScoresOnlyMultiLCA``
  (adjoint direction) on the same BOMs, end to end; throughput on one core;
* contribution analysis (top upstream activities) per BOM vs one cached forward solve;
* cold start from the persisted cache vs building it (matrices, factorisation, adjoint solve);
* Monte Carlo, 1,000 iterations, one example BOM on the *shipped* background;
* the cache's memory.

Results must agree with bw2calc to 1e-9; the benchmark exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.synthetic import (
    SyntheticBackground,
    fast_scores_multi_lca,
    generate_background,
    max_relative_difference,
    naive_lca,
    random_boms,
)
from lca.brightway import use_brightway_dir
from lca.engine import MatrixEngine, characterisation_factors

TOLERANCE = 1e-9
ROOT = Path(__file__).resolve().parent.parent


def _background(directory: Path, activities: int, seed: int) -> SyntheticBackground:
    """Generate the synthetic background, or reuse the one a previous run left in ``directory``."""
    marker = directory / f"synthetic-{activities}-{seed}.json"
    if marker.exists():
        fields = json.loads(marker.read_text())
        # JSON has no tuples; the dataclass (and bw2data's method names) want them.
        tuples = {k: tuple(v) for k, v in fields.items() if isinstance(v, list)}
        return SyntheticBackground(**{**fields, **tuples, "brightway_dir": directory})
    background = generate_background(directory, activities, seed)
    fields = {k: v for k, v in background.__dict__.items() if k != "brightway_dir"}
    marker.write_text(json.dumps(fields))
    return background


def _engine(background: SyntheticBackground) -> tuple[MatrixEngine, float]:
    bw2data = use_brightway_dir(background.brightway_dir, project=background.project)
    first = background.activity_ids[0]
    _, data_objs, _ = bw2data.prepare_lca_inputs({first: 1.0}, remapping=False)
    factors = characterisation_factors(bw2data.Method(background.method).datapackage())
    started = time.perf_counter()
    engine = MatrixEngine.from_datapackages(data_objs, {"score": factors}, first)
    return engine, time.perf_counter() - started


def _check(name: str, ours: np.ndarray, theirs: np.ndarray) -> float:
    difference = max_relative_difference(ours, theirs)
    if difference > TOLERANCE:
        print(f"FAIL: engine and {name} disagree: max relative difference {difference:.2e}")
        sys.exit(1)
    return difference


def _shipped_monte_carlo(iterations: int) -> float:
    from lca.background import load_background
    from lca.bom import normalise_bom
    from lca.build import build_background
    from lca.montecarlo import monte_carlo

    directory = Path(tempfile.mkdtemp()) / "brightway"
    build_background(directory, progress=lambda _: None)
    background = load_background(directory)
    bom = json.loads((ROOT / "data" / "examples" / "nmc811_pouch.json").read_text())
    inputs = normalise_bom(bom, background).foreground_inputs()
    monte_carlo(background, inputs, iterations=10, seed=0)  # load datapackages once
    started = time.perf_counter()
    monte_carlo(background, inputs, iterations=iterations, seed=1)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--boms", type=int, default=10_000)
    parser.add_argument("--naive-sample", type=int, default=5)
    parser.add_argument("--contribution-sample", type=int, default=50)
    parser.add_argument("--mc-iterations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work-dir", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args(argv)

    directory = args.work_dir / f"synthetic-{args.activities}-{args.seed}"
    started = time.perf_counter()
    background = _background(directory, args.activities, args.seed)
    print(
        f"background: {args.activities} activities, {background.n_nonzeros} technosphere "
        f"nonzeros ({time.perf_counter() - started:.1f} s to generate or reuse)"
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine, build_s = _engine(background)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lu = engine.factorised()
    lu_mib = (lu.L.nnz + lu.U.nnz) * 12 / 2**20
    arrays_mib = (
        sum(a.nbytes for a in (engine.unit_scores, engine.direct_scores, engine.product_ids))
        / 2**20
        + (engine.technosphere.data.nbytes + engine.biosphere.data.nbytes) * 2 / 2**20
    )
    cache = directory / "engine-cache"
    engine.save(cache)
    started = time.perf_counter()
    loaded = MatrixEngine.load(cache)
    load_s = time.perf_counter() - started

    boms = random_boms(background, args.boms, args.seed)
    started = time.perf_counter()
    demand = loaded.demand_matrix(boms)
    ours = loaded.batch_scores(demand)[:, 0]
    engine_s = time.perf_counter() - started
    engine_per_bom = engine_s / len(boms)

    sample = boms[: args.naive_sample]
    naive_scores, naive_s = naive_lca(background, sample)
    naive_difference = _check("naive bw2calc.LCA", ours[: len(sample)], naive_scores)
    fast_scores, fast_s = fast_scores_multi_lca(background, boms)
    fast_difference = _check("FastScoresOnlyMultiLCA", ours, fast_scores)

    solve_times, contribution_times = [], []
    for bom in boms[: args.contribution_sample]:
        demand_dict = dict(bom)
        started = time.perf_counter()
        loaded.supply(demand_dict)
        solve_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        top, rest = loaded.upstream_contributions(demand_dict, "score", top=10)
        contribution_times.append(time.perf_counter() - started)
    total = float(ours[args.contribution_sample - 1])
    _check("its own contributions", np.array([sum(c.score for c in top) + rest]), np.array([total]))
    solve_s, contribution_s = float(np.median(solve_times)), float(np.median(contribution_times))

    mc_s = _shipped_monte_carlo(args.mc_iterations)
    naive_per_bom = naive_s / len(sample)
    fast_per_bom = fast_s / len(boms)
    rows = [
        ("engine build (matrices + LU + adjoint solve)", f"{build_s:.2f} s", ""),
        ("cold start from the cache", f"{load_s * 1000:.0f} ms", "target < 3 s"),
        (
            "engine batch footprints, per BOM",
            f"{engine_per_bom * 1e6:.2f} µs",
            f"{1 / engine_per_bom:,.0f} footprints/s (target ≥ 50,000)",
        ),
        (
            "naive bw2calc.LCA, per BOM (baseline)",
            f"{naive_per_bom * 1000:.1f} ms",
            f"ratio {naive_per_bom / engine_per_bom:,.0f}× (target ≥ 1000×)",
        ),
        (
            "FastScoresOnlyMultiLCA adjoint, per BOM (baseline)",
            f"{fast_per_bom * 1e6:.1f} µs",
            f"ratio {fast_per_bom / engine_per_bom:,.0f}× (target ≥ 10×)",
        ),
        ("one cached forward solve (baseline)", f"{solve_s * 1000:.2f} ms", ""),
        (
            "contribution analysis, per BOM",
            f"{contribution_s * 1000:.2f} ms",
            f"ratio {contribution_s / solve_s:.2f}× one solve (target ≤ 1.2×)",
        ),
        (
            f"Monte Carlo {args.mc_iterations} iterations, shipped background",
            f"{mc_s:.2f} s",
            "target < 1 s",
        ),
        (
            "cache memory: LU factors / arrays",
            f"{lu_mib:.1f} MiB / {arrays_mib:.1f} MiB",
            f"process max RSS {rss_before:.0f} → {rss_after:.0f} MiB during build",
        ),
        (
            "agreement with bw2calc (max rel. diff.)",
            f"{max(naive_difference, fast_difference):.1e}",
            f"tolerance {TOLERANCE:g}",
        ),
    ]
    print(f"{len(boms)} BOMs of 10–40 lines; naive sample {len(sample)} BOMs\n")
    for name, value, note in rows:
        print(f"{name:52} {value:>22}   {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
