"""Helpers of the tests that start real processes: a free port, a migrated database, waiting."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nothing listens on (a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``cellcarbon ARGS`` in a process of its own from the repository root, this environment
    updated by ``env`` (a value of None would be an error: pass only what is set), output as text.
    ``BRIGHTWAY_DIR`` is dropped so that only ``CELLCARBON_BRIGHTWAY_DIR`` says where the
    background is."""
    full = {key: value for key, value in os.environ.items() if key != "BRIGHTWAY_DIR"}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def migrated(database: Path, background_dir: Path) -> dict[str, str]:
    """The environment of a service on a new, migrated SQLite database at ``database``."""
    env = {
        **os.environ,
        "CELLCARBON_DATABASE_URL": f"sqlite:///{database}",
        "CELLCARBON_BRIGHTWAY_DIR": str(background_dir),
    }
    env.pop("BRIGHTWAY_DIR", None)
    subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return env


def server_up(base: str, path: str = "/health", timeout: float = 60) -> bool:
    """Whether the server at ``base`` answers ``path`` with 200 within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}{path}", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.2)
    return False


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds; fail the test naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def run_recompute(python: Path, bundle_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run an unpacked verification bundle's recompute.py (``--json``) with ``python``, in a
    clean environment: nothing of this project on the path, from another directory."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(bundle_dir)}
    return subprocess.run(
        [str(python), str(bundle_dir / "recompute.py"), "--json"],
        capture_output=True,
        text=True,
        cwd="/",
        env=env,
        timeout=600,
    )
