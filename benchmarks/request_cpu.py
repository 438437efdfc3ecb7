"""CPU time per request inside one process, without a network or a second worker.

``python -m benchmarks.request_cpu`` creates a fresh PostgreSQL database (as ``make bench-http``
does), then drives the ASGI app in-process through ``httpx.ASGITransport`` and prints the CPU
time per request of ``GET /health/live`` (the middleware alone), ``GET /v1/boms/{id}`` and
``POST /v1/boms/{id}/footprints``, and of the footprint service on its own (``store_footprint``
and the commit, no HTTP); the footprint twice: repeating one input (its computation kept, as
``make bench-http`` measures it) and computing each one (the kept computations forgotten
first). It tells where a request's time goes when throughput is CPU-bound;
the figures include the test client's own work (about 1 ms per request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from benchmarks.bench_http import EXAMPLES, fresh_database, prepare, service_env


def cpu_ms_per_call(call: Callable[[], object], repeat: int) -> float:
    for _ in range(20):  # warm caches, pools and prepared statements
        call()
    started = time.process_time()
    for _ in range(repeat):
        call()
    return 1000 * (time.process_time() - started) / repeat


async def async_cpu_ms_per_call(call: Callable[[], Awaitable[object]], repeat: int) -> float:
    for _ in range(20):
        await call()
    started = time.process_time()
    for _ in range(repeat):
        await call()
    return 1000 * (time.process_time() - started) / repeat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=400, help="requests per measurement")
    args = parser.parse_args(argv)
    with fresh_database() as database_url:
        env = service_env(database_url)
        api_key = prepare({**os.environ, **env})
        os.environ.update(env)  # before the app reads its settings
        asyncio.run(_measure(api_key, args.repeat))
    return 0


async def _measure(api_key: str, repeat: int) -> None:
    from app.boms.models import Bom
    from app.core.db import session_scope
    from app.core.repository import OrgRepository
    from app.core.runtime import get_background, get_engine
    from app.footprints.service import forget_computations, store_footprint
    from app.main import create_app

    app = create_app()
    settings = app.state.settings
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {api_key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            example = json.loads(Path(EXAMPLES[0]).read_text())
            bom_id = (await client.post("/v1/boms", json=example)).json()["id"]

            async def get(path: str) -> None:
                assert (await client.get(path)).status_code == 200

            async def post_footprint() -> None:
                response = await client.post(f"/v1/boms/{bom_id}/footprints")
                assert response.status_code == 201, response.text

            async def post_computed_footprint() -> None:
                forget_computations()
                await post_footprint()

            for name, call in (
                ("GET /health/live", lambda: get("/health/live")),
                ("GET /v1/boms/{id}", lambda: get(f"/v1/boms/{bom_id}")),
                ("POST /v1/boms/{id}/footprints", post_footprint),
                ("  the same, each computed", post_computed_footprint),
            ):
                print(f"{name:32s} {await async_cpu_ms_per_call(call, repeat):6.2f} ms CPU")

    engine, background = get_engine(settings), get_background(settings)
    with session_scope(engine) as session:
        organisation_id = session.get(Bom, uuid.UUID(bom_id)).organisation_id  # type: ignore[union-attr]

    def service_only() -> None:
        with session_scope(engine) as session:
            repo = OrgRepository(session, organisation_id, "bench")
            store_footprint(repo, uuid.UUID(bom_id), background)

    def service_computed() -> None:
        forget_computations()
        service_only()

    for name, service_call in (
        ("footprint service, no HTTP", service_only),
        ("  the same, each computed", service_computed),
    ):
        print(f"{name:32s} {cpu_ms_per_call(service_call, repeat):6.2f} ms CPU")


if __name__ == "__main__":
    raise SystemExit(main())
