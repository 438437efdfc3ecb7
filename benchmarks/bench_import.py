"""Import benchmark: the synthetic background written as ecospold2, imported, then used.

Measures, on one seeded synthetic release (benchmarks/synthetic_ecospold2.py):

* writing the release (not part of an import; reported for scale);
* the import, by stage (extraction, bw2io strategies, writing, engine), biosphere3 template
  built beforehand (once per machine, as in service);
* a cold start from the engine cache (what a restarted process pays per background);
* the factorisation of A (lazy; needed for supply vectors and contributions);
* footprints: random BOMs scored with the cached unit scores;
* agreement of the imported unit scores with SciPy on the generator's own arrays.

``python -m benchmarks.bench_import --activities 2000`` (quick) or ``--activities 20000``.
Exits 1 when the import disagrees with SciPy beyond 1e-6 (float32 storage) or fails.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.synthetic_ecospold2 import expected_unit_scores, write_ecospold2
from lca.background import load_background
from lca.imports.pipeline import import_background
from lca.imports.resident import engine_bytes

TOLERANCE = 1e-6


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(args: argparse.Namespace, work: Path) -> int:
    started = time.perf_counter()
    release = write_ecospold2(work / "release", args.activities, args.seed, progress=lambda _: None)
    print(f"wrote {args.activities} .spold files in {time.perf_counter() - started:.1f} s")
    root = work / "backgrounds"
    # Build the biosphere3 template once (what every later import copies), outside the timing.
    warm = time.perf_counter()
    from lca.imports.pipeline import _fresh_project

    root.mkdir(parents=True, exist_ok=True)
    _fresh_project(root, work / "warm-up")
    print(f"biosphere3 template (once per machine): {time.perf_counter() - warm:.1f} s")

    stages: list[tuple[float, str]] = []
    started = time.perf_counter()

    def progress(fraction: float, stage: str) -> None:
        if not stages or stages[-1][1] != stage:
            stages.append((time.perf_counter() - started, stage))

    result = import_background(release, root, progress=progress)
    import_s = time.perf_counter() - started
    print(f"import: {import_s:.1f} s in all")
    for (at, stage), (until, _) in zip(stages, [*stages[1:], (import_s, "")], strict=True):
        print(f"  {until - at:7.1f} s  {stage}")
    descriptor = result.descriptor
    print(
        f"  {descriptor.activities} activities, {descriptor.exchanges} exchanges; "
        f"{descriptor.coverage.characterised_flows} biosphere flows characterised"
    )

    started = time.perf_counter()
    background = load_background(Path(descriptor.brightway_dir))
    print(f"cold start from the cache: {time.perf_counter() - started:.3f} s")
    started = time.perf_counter()
    background.engine.factorised()
    print(
        f"factorisation of A: {time.perf_counter() - started:.3f} s; "
        f"engine with LU {engine_bytes(background) / 2**20:.1f} MiB"
    )

    engine = background.engine
    rng = np.random.default_rng(args.seed)
    ids = engine.product_ids
    demands = [
        [
            (int(p), float(a))
            for p, a in zip(
                rng.choice(ids, size=25, replace=False),
                rng.lognormal(np.log(0.1), 1.0, size=25),
                strict=True,
            )
        ]
        for _ in range(args.boms)
    ]
    started = time.perf_counter()
    scores = engine.batch_scores(engine.demand_matrix(demands))[:, 0]
    elapsed = time.perf_counter() - started
    print(
        f"footprints: {args.boms} BOMs of 25 lines in {elapsed:.3f} s "
        f"({args.boms / elapsed:,.0f} per s); mean {scores.mean():.4g} kg CO2e"
    )

    expected = expected_unit_scores(args.activities, args.seed)
    by_name = {p.name: p for p in background.products.values()}
    ours = np.array(
        [background.unit_score(by_name[_name(index)].code) for index in range(args.activities)]
    )
    worst = float(np.max(np.abs(ours - expected) / np.maximum(np.abs(expected), 1e-30)))
    print(
        f"largest relative difference to SciPy on the generator's arrays: {worst:.2e}; "
        f"peak memory {_peak_mib():.0f} MiB"
    )
    return 0 if worst < TOLERANCE else 1


def _name(index: int) -> str:
    from benchmarks.synthetic_ecospold2 import _product

    return f"production of {_product(index)[0]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--boms", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="cellcarbon-bench-import-"))
    try:
        return _run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
