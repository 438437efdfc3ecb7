"""The real service: `cellcarbon serve` on a loopback port, driven over HTTP as in the README."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, migrated, server_up, wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, real_background_dir: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    env = migrated(tmp_path_factory.mktemp("server") / "cellcarbon.db", real_background_dir)
    created = subprocess.run(
        [sys.executable, "-m", "app.cli", "org", "create", "Server test cells"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    token = created.stdout.strip().splitlines()[-1].split()[-1]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    if not server_up(base):
        process.kill()
        pytest.fail(
            f"server did not start: {process.stderr.read().decode() if process.stderr else ''}"
        )
    yield base, {"Authorization": f"Bearer {token}"}
    process.terminate()
    process.wait(timeout=20)


def test_post_a_bom_and_read_its_footprint_over_http(server: tuple[str, dict[str, str]]) -> None:
    bom = json.loads((ROOT / "data" / "examples" / "nmc811_pouch.json").read_text())
    base, headers = server
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        assert http.get("/health").json()["status"] == "ok"
        created = http.post("/v1/boms", json=bom)
        assert created.status_code == 201, created.text
        footprint = http.post(f"/v1/boms/{created.json()['id']}/footprints")
        assert footprint.status_code == 201, footprint.text
        stored = http.get(footprint.headers["location"])
        assert stored.json()["kg_co2e_per_kwh"] == footprint.json()["kg_co2e_per_kwh"] > 0
        docs = http.get("/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_problem_json_over_http(server: tuple[str, dict[str, str]]) -> None:
    base, headers = server
    with httpx.Client(base_url=base, timeout=30) as anonymous:
        response = anonymous.get("/v1/boms")
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        response = http.post(
            "/v1/boms", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        huge = http.post(
            "/v1/boms",
            content=b"[" + b"1," * (600 * 1024) + b"1]",
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413


def test_every_worker_writes_json_logs_with_request_ids(
    tmp_path: Path, real_background_dir: Path
) -> None:
    """With ``--workers 2`` uvicorn starts fresh processes: each must write the JSON access log
    (a logging set-up made only in the parent process never reaches them)."""
    env = migrated(tmp_path / "cellcarbon.db", real_background_dir)
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            if not server_up(base, "/health/live", timeout=90):
                pytest.fail(f"server did not start:\n{log_path.read_text()[-3000:]}")
            # The first worker answers while the second may still be starting on a busy machine.
            wait_until(
                lambda: (
                    len(set(re.findall(r"Started server process \[(\d+)\]", log_path.read_text())))
                    >= 2
                ),
                timeout=90,
                what="both workers to start",
            )
            # New connections spread over both workers; 20 requests reach each with near
            # certainty, and every one of them must be logged whichever worker answered.
            ids = [f"logcheck{n:04d}" for n in range(20)]
            for request_id in ids:
                response = httpx.get(f"{base}/v1/boms", headers={"X-Request-ID": request_id})
                assert response.status_code == 401
            time.sleep(0.5)
        finally:
            process.terminate()
            process.wait(timeout=40)
    entries = [
        json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")
    ]
    access = {e["request_id"]: e for e in entries if e["logger"] == "cellcarbon.access"}
    assert set(ids) <= set(access)
    assert all(access[i]["status"] == 401 and access[i]["route"] == "/v1/boms" for i in ids)
    workers = {e["message"] for e in entries if e["message"].startswith("Started server process")}
    assert len(workers) == 2
