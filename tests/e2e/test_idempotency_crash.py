"""Idempotency-Key across a crash: a real `cellcarbon serve` is killed (SIGKILL) during a burst
of keyed POSTs, a new one is started on the same database, and every key is sent again.

Whatever the kill interrupted, each key must end with exactly one BOM: a request whose 201 the
client saw is replayed byte for byte, one that committed nothing runs once now, and no key is
left "in progress" (409). On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.boms.bom_files import example
from tests.conftest import make_organisation
from tests.servers import free_port, server_up

ROOT = Path(__file__).resolve().parents[2]

KEYS = 48
KILL_AFTER = 12  # answers seen before the kill; the rest are in flight or not yet sent


def _serve(
    settings: Any, port: int, log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``cellcarbon serve`` on ``settings``' database, its output appended to ``log``."""
    env = {
        **os.environ,
        "CELLCARBON_DATABASE_URL": settings.database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(settings.brightway_dir),
        **(extra_env or {}),
    }
    env.pop("BRIGHTWAY_DIR", None)
    env.pop("CELLCARBON_BROKER_URL", None)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    if not server_up(f"http://127.0.0.1:{port}", "/health/ready"):
        _kill(process)
        raise AssertionError(f"the server did not get ready:\n{log.read_text()[-3000:]}")
    return process


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def _bom(key: str) -> dict[str, Any]:
    bom = example("nmc811_pouch")
    bom["name"] = f"crash {key}"
    return bom


def test_a_killed_server_leaves_every_key_replayable_or_runnable_once(
    settings: Any, tmp_path: Path
) -> None:
    token = make_organisation(settings, f"crash {uuid.uuid4().hex[:8]}")
    headers = {"Authorization": f"Bearer {token}"}
    keys = [uuid.uuid4().hex for _ in range(KEYS)]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    seen: dict[str, httpx.Response] = {}
    answered = threading.Event()
    lock = threading.Lock()

    def post(key: str) -> None:
        try:
            response = httpx.post(
                f"{base}/v1/boms",
                json=_bom(key),
                headers={**headers, "Idempotency-Key": key},
                timeout=30,
            )
        except httpx.TransportError:
            return  # killed mid-request: the client never saw an answer
        with lock:
            seen[key] = response
            if len(seen) >= KILL_AFTER:
                answered.set()

    server = _serve(settings, port, tmp_path / "server.log")
    try:
        with ThreadPoolExecutor(8) as pool:
            for key in keys:
                pool.submit(post, key)
            assert answered.wait(60), "the server did not answer the burst"
            _kill(server)
    finally:
        _kill(server)
    assert all(response.status_code == 201 for response in seen.values())
    assert len(seen) < KEYS, "the kill came after every request had been answered"

    server = _serve(settings, port, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            for key in keys:
                retry = http.post("/v1/boms", json=_bom(key), headers={"Idempotency-Key": key})
                assert retry.status_code == 201, (key, retry.status_code, retry.text)
                if key in seen:
                    assert retry.headers.get("idempotent-replayed") == "true"
                    assert retry.content == seen[key].content
            names = [
                bom["name"]
                for offset in range(0, 2 * KEYS, 100)
                for bom in http.get("/v1/boms", params={"limit": 100, "offset": offset}).json()[
                    "data"
                ]
            ]
    finally:
        _kill(server)
    assert sorted(names) == sorted(f"crash {key}" for key in keys)
