"""A real server under hostile bodies: every one is a 4xx problem, and the server stays live.

A prober thread asks ``GET /health/live`` every 20 ms for as long as the hostile requests run;
99 % of the probes must be answered within 100 ms (or 5× the idle server's 99th percentile on a
machine too busy for that) and none may stall for a second. Before the
strict quantity grammar, one body with ``"9**9**7 kg"`` held the GIL for about 2 s, and
liveness stalled with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES
from tests.hostile.test_quantities import BOM_FIELDS, _spoil, hostile_field
from tests.servers import ROOT, free_port, migrated, server_up

PROBLEM = "application/problem+json"
LIVENESS_S = 0.1
# A request that holds the interpreter (the old "9**9**7 kg") stalls every probe for seconds;
# a busy machine delays a probe now and then by a scheduling slice. So: 99 % of probes within
# 100 ms, and not one stalled for a second.
STALL_S = 1.0
# Control characters a text field must refuse (C0 but tab, LF and CR; DEL; C1).
CONTROL = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x85)]


class Prober:
    """Asks /health/live every 20 ms on its own connection and keeps each answer's latency."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=5) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    status = client.get("/health/live").status_code
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                else:
                    self.latencies.append(time.perf_counter() - started)
                    if status != 200:
                        self.failures.append(f"status {status}")
                self._stop.wait(0.02)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, real_background_dir: Path
) -> Iterator[tuple[str, str]]:
    """``cellcarbon serve`` on a fresh SQLite database, and an admin key of its organisation."""
    folder = tmp_path_factory.mktemp("hostile-server")
    env = migrated(folder / "cellcarbon.db", real_background_dir)
    created = subprocess.run(
        [sys.executable, "-m", "app.cli", "org", "create", "Hostile cells"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    key = next(w for w in created.stdout.split() if w.startswith("cc_"))
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**env, "CELLCARBON_RATE_LIMIT_PER_MINUTE": str(10**6)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert server_up(base, "/health/ready", timeout=120), "the server did not start"
        yield base, key
    finally:
        process.terminate()
        process.wait(30)
        log.close()


@pytest.fixture(scope="module")
def quiet_p99(server: tuple[str, str]) -> float:
    """The 99th-percentile latency of /health/live with nothing else to do, on this machine
    now: the baseline a busy test machine sets for the probes under load."""
    with Prober(server[0]) as quiet:
        deadline = time.monotonic() + 30
        while len(quiet.latencies) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
    latencies = sorted(quiet.latencies)
    return latencies[int(0.99 * (len(latencies) - 1))]


@pytest.fixture(scope="module")
def prober(server: tuple[str, str], quiet_p99: float) -> Iterator[Prober]:
    with Prober(server[0]) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: tuple[str, str]) -> Iterator[httpx.Client]:
    base, key = server
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as client:
        yield client


def _example() -> dict[str, Any]:
    return json.loads((EXAMPLES / "nmc811_pouch.json").read_text())


def _text_paths() -> st.SearchStrategy[tuple[str | int, ...]]:
    return st.sampled_from(
        [("name",), ("description",), ("lines", 0, "component"), ("lines", 1, "source")]
    )


hostile_text = st.builds(
    lambda before, control, after: f"{before}{control}{after}",
    st.text(max_size=10).filter(lambda t: not any(c in t for c in CONTROL)),
    st.sampled_from([c for c in CONTROL if c not in "\t\n\r"]),
    st.text(max_size=10).filter(lambda t: not any(c in t for c in CONTROL)),
)


def _refused(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    assert response.json().get("errors"), response.text[:500]


@settings(
    max_examples=int(os.environ.get("CELLCARBON_HOSTILE_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(field=hostile_field(BOM_FIELDS))
def test_hostile_quantities_are_problems_on_a_real_server(http, prober, field) -> None:  # type: ignore[no-untyped-def]
    path, text = field
    _refused(http.post("/v1/boms", json=_spoil(_example(), path, text)))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=_text_paths(), text=hostile_text)
def test_control_characters_in_text_are_problems_on_a_real_server(http, prober, path, text) -> None:  # type: ignore[no-untyped-def]
    _refused(http.post("/v1/boms", json=_spoil(_example(), path, text)))


def test_towers_of_powers_and_duplicate_keys_on_a_real_server(http, prober) -> None:  # type: ignore[no-untyped-def]
    for tower in ("9**9**7 kg", "9**9**8 kg", "10**400 kg"):
        body = _example()
        body["lines"][0]["amount"] = tower
        _refused(http.post("/v1/boms", json=body))
    duplicated = b'{"name": "a", "name": "b"}'
    response = http.post(
        "/v1/boms", content=duplicated, headers={"content-type": "application/json"}
    )
    _refused(response)


def test_the_server_stayed_live_within_100_ms_throughout(http, prober, quiet_p99) -> None:  # type: ignore[no-untyped-def]
    """Runs after the hostile tests of this module (file order), with the same prober; keeps
    sending towers of powers until the prober has 60 answers (a minute at most)."""
    body = _example()
    body["lines"][0]["amount"] = "9**9**8 kg"
    deadline = time.monotonic() + 60
    while len(prober.latencies) < 60 and time.monotonic() < deadline:
        _refused(http.post("/v1/boms", json=body))
    assert prober.failures == []
    latencies = sorted(prober.latencies)
    assert len(latencies) >= 60, f"too few probes to say anything: {len(latencies)}"
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    summary = (
        f"{len(latencies)} probes: median {latencies[len(latencies) // 2] * 1000:.1f} ms, "
        f"99th percentile {p99 * 1000:.1f} ms, slowest {latencies[-1] * 1000:.1f} ms"
    )
    # 100 ms, or five times what the same probe takes on this machine when the server is idle
    # (a shared test machine can be slower than the service's target by itself).
    assert p99 < max(LIVENESS_S, 5 * quiet_p99), f"{summary}; idle 99th {quiet_p99 * 1000:.1f} ms"
    assert latencies[-1] < STALL_S, summary
