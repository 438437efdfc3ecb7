"""Design-space batch over HTTP against the engine's own rates, measured in the same run.

``python -m benchmarks.bench_batch`` (``make bench-batch``):

1. a fresh PostgreSQL database, migrated, with one organisation (as benchmarks/bench_http.py);
2. ``cellcarbon serve --workers 2`` on a loopback port, the NMC811 example stored as the base;
3. ``--variants`` variants of it (every grid region of the background × natural or synthetic
   graphite × recycled Ni/Co shares of 0, 10 or 30 %), posted ``--repeat`` times as one
   ``POST /v1/footprints/batch``; the clock runs from sending the body to the last NDJSON line;
4. in this process, on the same background and variants: :func:`lca.batch.score_variants`
   (the engine with its per-variant Python) and the bare engine, each variant's
   (product id, amount) demands to one sparse matrix times the unit scores, as ``make bench``
   measures the engine per BOM (the floor: no scenario logic, no result objects); both in CPU
   seconds of this process, and the server's CPU per batch from /proc, since on a shared
   machine wall time stretches with the load;
5. prints variants/s of each, the HTTP time against the 2 s target and its ratio to the bare
   engine against the 10× target, and the largest relative difference between the HTTP figures
   and ``score_variants`` (must be ≤ 1e-12, else exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.bench_http import (
    ROOT,
    brightway_dir,
    free_port,
    fresh_database,
    prepare,
    process_tree,
    running_server,
)
from lca.background import Background, load_background
from lca.batch import Variant, VariantScores, score_variants
from lca.bom import normalise_bom
from lca.scenarios import Scenario

EXAMPLE = ROOT / "data" / "examples" / "nmc811_pouch.json"
TARGET_HTTP_S = 2.0
TARGET_RATIO = 10.0
SHARES = (0.0, 0.1, 0.3)


def variant_bodies(background: Background, count: int) -> list[dict[str, Any]]:
    """``count`` variants cycling through regions × anode graphite × recycled shares."""
    regions = sorted(background.grid_regions)
    bodies = []
    for n in range(count):
        body: dict[str, Any] = {"key": f"v{n:05d}", "grid_region": regions[n % len(regions)]}
        if (n // len(regions)) % 2:
            body["substitutions"] = {"graphite_synthetic_cn": "graphite_natural_cn"}
        share = SHARES[(n // (2 * len(regions))) % len(SHARES)]
        if share:
            body["recycled_share"] = {"Ni": share, "Co": share}
        bodies.append(body)
    return bodies


def as_variants(bodies: list[dict[str, Any]]) -> list[Variant]:
    return [
        Variant(
            b["key"],
            Scenario(
                name=b["key"],
                grid_region=b.get("grid_region"),
                substitutions=b.get("substitutions", {}),
                recycled_share=b.get("recycled_share", {}),
            ),
        )
        for b in bodies
    ]


def post_batch(port: int, api_key: str, body: bytes) -> tuple[float, float, bytes]:
    """(seconds to the first line, seconds to the last, the NDJSON body)."""
    url = f"http://127.0.0.1:{port}/v1/footprints/batch"
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    pieces = []
    first = 0.0
    with httpx.Client(timeout=120) as client:
        start = time.perf_counter()
        with client.stream("POST", url, content=body, headers=headers) as response:
            if response.status_code != 200:
                raise RuntimeError(f"batch → {response.status_code}: {response.read()[:2000]!r}")
            for piece in response.iter_bytes():
                if not first:
                    first = time.perf_counter() - start
                pieces.append(piece)
        total = time.perf_counter() - start
    return first, total, b"".join(pieces)


def server_cpu_s(root_pid: int) -> float:
    """User + system CPU seconds of the server's process tree so far (/proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def bare_engine_rate(background: Background, variants: list[Variant], repeat: int) -> float:
    """Per-BOM footprints/s of the bare engine, as ``make bench`` measures it: each variant's
    demand as (product id, amount) pairs (the base BOM's inputs under its grid region) to a
    sparse matrix, times the unit scores; no scenario logic, no result objects."""
    base = normalise_bom(json.loads(EXAMPLE.read_text()), background)
    engine = background.engine
    inputs = base.foreground_inputs()
    electricity = next(
        i for i, item in enumerate(inputs) if item.product == base.electricity_product
    )
    ids = [background.product(item.product).brightway_id for item in inputs]
    demands = []
    for variant in variants:
        region = variant.scenario.grid_region
        grid = background.grid_regions[region].activity if region else base.electricity_product
        row = list(zip(ids, (item.amount for item in inputs), strict=True))
        row[electricity] = (background.product(grid).brightway_id, inputs[electricity].amount)
        demands.append(row)
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        engine.batch_scores(engine.demand_matrix(demands))
        best = min(best, time.process_time() - start)
    return len(variants) / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed batches (best and median)")
    args = parser.parse_args(argv)
    if not 1 <= args.variants <= 10_000 or not 1 <= args.repeat <= 20:
        parser.error("need 1 ≤ --variants ≤ 10,000 and 1 ≤ --repeat ≤ 20")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    background_dir = brightway_dir()
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_database())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench_batch_")))
        env = {
            **os.environ,
            "CELLCARBON_DATABASE_URL": database_url,
            "CELLCARBON_BRIGHTWAY_DIR": str(background_dir),
            "BRIGHTWAY_DIR": str(background_dir),
        }
        env.pop("CELLCARBON_BROKER_URL", None)
        api_key = prepare(env)
        background = load_background(background_dir)
        bodies = variant_bodies(background, args.variants)
        port = free_port()
        pid = stack.enter_context(running_server(env, port, workdir / "server.log"))
        created = httpx.post(
            f"http://127.0.0.1:{port}/v1/boms",
            content=EXAMPLE.read_bytes(),
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
            timeout=60,
        )
        created.raise_for_status()
        body = json.dumps({"bom_id": created.json()["id"], "variants": bodies}).encode()
        # Warm-up: both workers answer a small batch once (imports, caches, connections).
        small = json.dumps({"bom_id": created.json()["id"], "variants": bodies[:50]}).encode()
        for _ in range(4):
            post_batch(port, api_key, small)
        runs, cpu = [], []
        for _ in range(args.repeat):
            before = server_cpu_s(pid)
            runs.append(post_batch(port, api_key, body))
            cpu.append(server_cpu_s(pid) - before)
        answer = [json.loads(line) for line in runs[-1][2].splitlines()]

    base = normalise_bom(json.loads(EXAMPLE.read_text()), background)
    variants = as_variants(bodies)
    engine_times = []
    for _ in range(args.repeat):
        start = time.process_time()
        expected = score_variants(background, base, variants)
        engine_times.append(time.process_time() - start)
    bare = bare_engine_rate(background, variants, args.repeat)

    worst = 0.0
    for got, want in zip(answer, expected, strict=True):
        assert isinstance(want, VariantScores) and got["key"] == want.key, got
        for name in ("kg_co2e_per_cell", "kg_co2e_per_cell_market_based", "kg_co2e_per_kwh"):
            worst = max(worst, abs(got[name] - getattr(want, name)) / abs(getattr(want, name)))
    totals = [total for _, total, _ in runs]
    best_http = min(totals)
    http_rate = args.variants / best_http
    engine_rate = args.variants / min(engine_times)
    print(f"\n{args.variants:,} variants of {EXAMPLE.name}, {args.repeat} timed batches")
    print(
        f"HTTP batch, end to end      {best_http:7.3f} s best, {statistics.median(totals):.3f} s "
        f"median ({http_rate:,.0f} variants/s); first line after "
        f"{min(first for first, _, _ in runs) * 1000:.0f} ms; target < {TARGET_HTTP_S:.0f} s — "
        f"{'met' if best_http < TARGET_HTTP_S else 'MISSED'}"
    )
    print(
        f"server CPU per batch        {min(cpu):7.3f} s best, "
        f"{statistics.median(cpu):.3f} s median (uvicorn processes; PostgreSQL not counted)"
    )
    print(
        f"score_variants in-process   {min(engine_times):7.3f} s CPU "
        f"({engine_rate:,.0f} variants/s)"
    )
    print(f"bare engine per BOM         {args.variants / bare:7.4f} s CPU ({bare:,.0f} variants/s)")
    ratio = bare / http_rate
    print(
        f"HTTP / bare engine          {ratio:7.1f}×  target ≤ {TARGET_RATIO:.0f}× — "
        f"{'met' if ratio <= TARGET_RATIO else 'MISSED'}"
    )
    print(f"HTTP / score_variants       {engine_rate / http_rate:7.1f}×")
    print(
        f"server CPU / bare engine    {min(cpu) * bare / args.variants:7.1f}×  (CPU against CPU: "
        "what a machine with a core to spare would see)"
    )
    print(f"max relative difference HTTP vs score_variants: {worst:.1e} (≤ 1e-12)")
    return 0 if worst <= 1e-12 and np.isfinite(worst) else 1


if __name__ == "__main__":
    sys.exit(main())
