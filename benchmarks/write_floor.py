"""What one committed write costs on this stack, beside the floor of ``make bench-http``.

``python -m benchmarks.write_floor --duration 10`` creates a fresh PostgreSQL database (as
``make bench-http`` does), serves the service's app on loopback with uvicorn (two workers, as
``make bench-http`` serves it: the service's logging, no uvicorn access log) plus routes that
this benchmark mounts on its own copy of the app (the service never serves them), drives each
route with wrk (2 threads, 4 connections) and prints the server's CPU per request from
``/proc`` and its ratio to the floor:

- ``GET /health/live``: the floor that ``make bench-http`` compares a footprint POST with;
- ``POST /bench/noop``: an ``async`` route answering ``{}`` (the middleware, the router and
  FastAPI alone);
- ``POST /bench/raw-write``: on a worker thread, one INSERT of an audit row and its COMMIT on a
  pooled psycopg connection (no key, no SQLAlchemy execution, no ORM session);
- ``POST /bench/audited-write``: a footprint POST's write without the footprint — key, scopes,
  rate limit and session (``writer_scope``), the audit row stored by the key-guarded INSERT, the
  commit — on one worker thread;
- ``POST /v1/boms/{id}/footprints``: a repeated footprint of the NMC811 example.

Each route gets a 2 s warm-up, then ``--rounds`` measurements of ``--duration`` seconds, the
routes alternated.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from app.access.deps import writer_scope
from app.core.audit import AUDIT_TABLE, audit_values
from app.core.db import insert_rows_now
from app.core.responses import json_response
from app.core.runtime import get_engine
from benchmarks.bench_http import (
    EXAMPLES,
    cpu_s,
    free_port,
    fresh_database,
    prepare,
    running_server,
    service_env,
    wrk_counts,
)

RAW_INSERT = (
    "INSERT INTO audit_event (organisation_id, actor, action, resource, resource_id, "
    "payload_sha256, details, created_at) VALUES (%s, %s, 'create', 'bench', 'x', %s, "
    "'{}'::json, now())"
)


async def _noop(response: Response) -> Response:
    return json_response(b"{}", response, 201)


async def _raw_write(request: Request, response: Response) -> Response:
    organisation = request.app.state.bench_organisation

    def work() -> None:
        raw = get_engine(request.app.state.settings).raw_connection()
        try:
            connection = raw.driver_connection
            with connection.cursor() as cursor:  # type: ignore[union-attr]
                cursor.execute(RAW_INSERT, (organisation, "bench", "0" * 64), prepare=True)
            connection.commit()  # type: ignore[union-attr]
        finally:
            raw.close()  # back to the pool

    await run_in_threadpool(work)
    return json_response(b"{}", response, 201)


async def _audited_write(request: Request, response: Response) -> Response:
    def work() -> Response:
        with writer_scope(request, response) as repo:
            row = audit_values(repo.organisation_id, repo.actor, "create", "bench", "x", {})
            insert_rows_now(repo.session, [(AUDIT_TABLE, row)], repo.guard)
            return json_response(b"{}", response, 201)

    return await run_in_threadpool(work)


def bench_app() -> FastAPI:
    """The service's app with this benchmark's routes (uvicorn's factory)."""
    from app.main import create_app

    app = create_app()
    app.state.bench_organisation = os.environ["BENCH_ORGANISATION_ID"]
    for path, endpoint in (
        ("/bench/noop", _noop),
        ("/bench/raw-write", _raw_write),
        ("/bench/audited-write", _audited_write),
    ):
        app.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)
        # First in the routing table, as /health/live nearly is: every route tried before the
        # one that matches costs its pattern match (the service has over a hundred).
        app.router.routes.insert(0, app.router.routes.pop())
    return app


def _serve(port: int) -> None:
    import uvicorn

    from app.cli import set_tcp_protocol_on_listening_socket
    from app.core.observability import logging_config

    set_tcp_protocol_on_listening_socket()  # as `cellcarbon serve --workers 2` does
    uvicorn.run(
        "benchmarks.write_floor:bench_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=2,
        log_level="warning",
        access_log=False,
        log_config=logging_config(),
        proxy_headers=False,
    )


def _wrk(port: int, method: str, path: str, api_key: str, seconds: int, lua: Path) -> int:
    lua.write_text(f'wrk.method = "{method}"\nwrk.headers["Authorization"] = "Bearer {api_key}"\n')
    requests, failed = wrk_counts(port, path, seconds, connections=4, threads=2, script=lua)
    if failed:
        raise RuntimeError(f"wrk on {method} {path}: {failed} of {requests} answers not 2xx")
    return requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="measurements per route")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve)
        return 0
    with fresh_database() as database_url, tempfile.TemporaryDirectory() as workdir:
        env = {**os.environ, **service_env(database_url)}
        env.pop("CELLCARBON_BROKER_URL", None)
        api_key = prepare(env)
        env["BENCH_ORGANISATION_ID"] = _organisation_of(env)
        port = free_port()
        command = [sys.executable, "-m", "benchmarks.write_floor", "--serve", str(port)]
        with running_server(env, port, Path(workdir) / "server.log", command) as pid:
            headers = {"Authorization": f"Bearer {api_key}"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
                bom = client.post("/v1/boms", json=json.loads(EXAMPLES[0].read_text()))
                bom.raise_for_status()
            routes = [
                ("GET", "/health/live"),
                ("POST", "/bench/noop"),
                ("POST", "/bench/raw-write"),
                ("POST", "/bench/audited-write"),
                ("POST", f"/v1/boms/{bom.json()['id']}/footprints"),
            ]
            _measure(pid, port, api_key, routes, args, Path(workdir) / "post.lua")
    return 0


def _organisation_of(env: dict[str, str]) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(env["CELLCARBON_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SELECT id FROM organisation LIMIT 1")).scalar_one())
    finally:
        engine.dispose()


def _measure(
    pid: int,
    port: int,
    api_key: str,
    routes: list[tuple[str, str]],
    args: argparse.Namespace,
    lua: Path,
) -> None:
    for method, path in routes:
        _wrk(port, method, path, api_key, 2, lua)
    figures: dict[str, list[float]] = {path: [] for _, path in routes}
    for _ in range(args.rounds):
        for method, path in routes:
            started = cpu_s(pid)
            requests = _wrk(port, method, path, api_key, args.duration, lua)
            figures[path].append(1000 * (cpu_s(pid) - started) / requests)
    floor = min(figures["/health/live"])
    print(f"\nserver CPU per request (uvicorn processes, from /proc), {args.rounds} rounds")
    for method, path in routes:
        shown = "/v1/boms/{id}/footprints" if path.endswith("/footprints") else path
        each = ", ".join(f"{ms:.3f}" for ms in figures[path])
        ratio = min(figures[path]) / floor
        print(f"{method:5s} {shown:28s} {each} ms   {ratio:4.1f}× the floor (best of each)")


if __name__ == "__main__":
    raise SystemExit(main())
