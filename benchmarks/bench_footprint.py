"""Footprint speed on the shipped background: cached unit scores vs a plain bw2calc.LCA per BOM.

Run ``make bench`` (or ``python -m benchmarks.bench_footprint --boms 2000 --naive-sample 50``).
Both paths run in the same process on the same BOMs; results must agree to 1e-9 (the benchmark
fails loudly otherwise) and the ratio of per-BOM times is printed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from lca.background import load_background
from lca.bom import normalise_bom
from lca.build import build_background
from lca.footprint import ForegroundInput, compute, reference_score

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"


def random_boms(count: int, seed: int, background_regions: list[str]) -> list[dict]:  # type: ignore[type-arg]
    """Variants of the example BOMs: every amount scaled by U(0.7, 1.3), a random grid region."""
    rng = random.Random(seed)
    examples = [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))]
    boms = []
    for _ in range(count):
        bom = json.loads(json.dumps(rng.choice(examples)))
        for line in bom["lines"]:
            value, unit = line["amount"].split(" ", 1)
            line["amount"] = f"{float(value) * rng.uniform(0.7, 1.3):.6g} {unit}"
        bom["plant"]["grid_region"] = rng.choice(background_regions)
        boms.append(bom)
    return boms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boms", type=int, default=2000)
    parser.add_argument("--naive-sample", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--brightway-dir", type=Path)
    args = parser.parse_args(argv)
    brightway_dir = args.brightway_dir or Path(tempfile.mkdtemp()) / "brightway"
    build_background(brightway_dir, progress=lambda _: None)
    started = time.perf_counter()
    background = load_background(brightway_dir)
    load_s = time.perf_counter() - started
    boms = random_boms(args.boms, args.seed, sorted(background.grid_regions))
    foregrounds: list[tuple[list[ForegroundInput], float]] = []
    for bom in boms:
        normalised = normalise_bom(bom, background)
        foregrounds.append((normalised.foreground_inputs(), normalised.nominal_energy_kwh))

    started = time.perf_counter()
    engine_scores = [compute(background, inputs, energy).kg_co2e for inputs, energy in foregrounds]
    engine_per_bom = (time.perf_counter() - started) / len(foregrounds)

    sample = foregrounds[: args.naive_sample]
    started = time.perf_counter()
    naive_scores = [reference_score(background, inputs) for inputs, _ in sample]
    naive_per_bom = (time.perf_counter() - started) / len(sample)

    worst = max(
        abs(a - b) / abs(b) for a, b in zip(engine_scores[: len(sample)], naive_scores, strict=True)
    )
    print(f"background: {len(background.products)} activities, loaded in {load_s * 1000:.0f} ms")
    print(
        f"engine (cached unit scores, full breakdown): {engine_per_bom * 1e6:9.1f} µs per BOM "
        f"over {len(foregrounds)} BOMs"
    )
    print(
        f"naive bw2calc.LCA per BOM (baseline):        {naive_per_bom * 1e6:9.1f} µs per BOM "
        f"over {len(sample)} BOMs"
    )
    print(f"ratio naive / engine: {naive_per_bom / engine_per_bom:.0f}×")
    print(f"largest relative difference: {worst:.2e}")
    if worst > 1e-9:
        print("FAIL: engine and bw2calc disagree beyond 1e-9", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
