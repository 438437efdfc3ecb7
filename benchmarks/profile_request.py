"""Where the CPU of one footprint request goes, layer by layer, in one process.

``python -m benchmarks.profile_request`` creates a fresh PostgreSQL database (as
``make bench-http`` does), drives the ASGI app in-process with ``httpx.ASGITransport`` and runs
cProfile over ``--repeat`` ``POST /v1/boms/{id}/footprints``. FastAPI hands plain ``def`` routes
and dependencies to worker threads, which cProfile does not follow; here they run inline on
the event loop (``anyio.to_thread.run_sync`` replaced), so one profile sees every layer. A
layer's figure is the cumulative time of the function that enters it minus that of the next
layer inside; the profiler's own overhead inflates every figure by a similar factor, so read
the shares, and take absolute CPU per request from ``benchmarks.request_cpu``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx

from benchmarks.bench_http import EXAMPLES, fresh_database, prepare, service_env


async def _inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
    return func(*args)


# (label, "file:function" whose cumulative CPU it is); indented ones are part of the one above.
LAYERS = [
    ("FastAPI: parameters, body, background (dependencies)", "utils.py:solve_dependencies"),
    ("route (create_footprint, its work on one worker thread)", "routes.py:work"),
    ("  key, rate limit, scopes, session (writer_scope)", "deps.py:writer_scope"),
    ("  commit (as writer_scope is left)", "session.py:commit"),
    ("  BOM row (cached)", "service.py:stored_bom"),
    ("  service: store_footprint", "service.py:store_footprint"),
    ("    computation (_compute; none for a kept input)", "service.py:_compute"),
    ("      BOM lines, normalised, supplier data", "service.py:cell_model"),
    ("      LCA: compute, location + market", "footprint.py:compute"),
    ("      LCA: upstream contributions", "footprint.py:upstream"),
    ("      data quality rating", "quality.py:rate"),
    ("      electricity rulesets", "rulesets.py:electricity_rulesets"),
    ("      default downstream stages", "service.py:_default_downstream"),
    ("      input hash", "service.py:input_hash"),
    (
        "    INSERT: footprint, audit row; reads rules, endpoints",
        "db.py:insert_now|db.py:insert_rows_now",
    ),
    ("    PACT sharing rules (applied)", "sharing.py:apply_sharing_rules"),
    ("  webhook event", "events.py:footprint_completed"),
    ("  answer (footprint_json)", "service.py:footprint_json"),
    ("access log line (Logger.info → JSON)", "__init__.py:info"),
]
TOP_LEVEL = [label for label, _ in LAYERS if not label.startswith(" ")]


def _cumulative(stats: pstats.Stats, wanted: str) -> float:
    """Cumulative CPU of ``file:function`` (alternatives joined by ``|``: the same layer under
    another name in another version of the code, added up)."""
    total = 0.0
    for alternative in wanted.split("|"):
        file_part, function = alternative.split(":")
        # The largest match: same-named functions of one file call each other (Session.commit
        # calls SessionTransaction.commit), so adding them would count the inner one twice.
        total += max(
            (
                cumulative
                for (filename, _, name), (_, _, _, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
                if name == function and filename.endswith(file_part)
            ),
            default=0.0,
        )
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--dump", type=Path, help="also write the raw cProfile stats here")
    parser.add_argument(
        "--computed",
        action="store_true",
        help="compute every footprint (forget the kept computations before each request)",
    )
    args = parser.parse_args(argv)
    with fresh_database() as database_url:
        env = service_env(database_url)
        api_key = prepare({**os.environ, **env})
        os.environ.update(env)
        anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
        asyncio.run(_profile(api_key, args.repeat, args.dump, args.computed))
    return 0


async def _profile(
    api_key: str, repeat: int, dump: Path | None = None, computed: bool = False
) -> None:
    from sqlalchemy import event

    from app.core.observability import configure_logging
    from app.core.runtime import get_engine
    from app.footprints.service import forget_computations
    from app.main import create_app

    configure_logging()  # the JSON access log, as the server writes it
    app = create_app()
    # Round trips to the database: statements, and the BEGIN and COMMIT around them.
    trips = {"statements": 0, "begin": 0, "commit": 0}
    engine = get_engine(app.state.settings)

    def _count(name: str) -> Callable[..., None]:
        def counted(*_: Any) -> None:
            if counting:
                trips[name] += 1

        return counted

    counting = False
    event.listen(engine, "before_cursor_execute", _count("statements"))
    event.listen(engine, "begin", _count("begin"))
    event.listen(engine, "commit", _count("commit"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {api_key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            example = json.loads(Path(EXAMPLES[0]).read_text())
            bom_id = (await client.post("/v1/boms", json=example)).json()["id"]
            for _ in range(30):
                await client.post(f"/v1/boms/{bom_id}/footprints")
            # CPU time, not wall time: waiting for PostgreSQL is not this process's work.
            profiler = cProfile.Profile(time.process_time)
            counting = True
            profiler.enable()
            for _ in range(repeat):
                if computed:
                    forget_computations()
                response = await client.post(f"/v1/boms/{bom_id}/footprints")
                assert response.status_code == 201, response.text
            profiler.disable()
            counting = False
    stats = pstats.Stats(profiler)
    if dump is not None:
        stats.dump_stats(dump)
    total = stats.total_tt  # type: ignore[attr-defined]
    kind = "each computed" if computed else "repeats of one computed input"
    print(f"\n{repeat} footprint requests ({kind}): share of this process's CPU (cProfile)")
    accounted = 0.0
    for label, function in LAYERS:
        share = _cumulative(stats, function) / total
        accounted += share if label in TOP_LEVEL else 0.0
        print(f"{label:56s} {100 * share:5.1f} %")
    print(f"{'rest: middleware, routing, ASGI, test client':56s} {100 * (1 - accounted):5.1f} %")
    print(f"{'CPU per request, under profiling':56s} {1000 * total / repeat:5.2f} ms")
    # Deterministic, unlike CPU time on a shared machine: compare these between versions.
    calls = stats.total_calls  # type: ignore[attr-defined]
    print(f"{'Python function calls per request':56s} {calls / repeat:7.0f}")
    print(
        f"{'database round trips per request':56s} {sum(trips.values()) / repeat:7.1f}  "
        f"(BEGIN {trips['begin'] / repeat:g}, statements {trips['statements'] / repeat:g}, "
        f"COMMIT {trips['commit'] / repeat:g})"
    )
    stats.sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    raise SystemExit(main())
