"""Webhook deliveries survive a restart: a real `cellcarbon serve` fails to reach a receiver
that is down, is killed (SIGKILL: no clean shutdown, its retry timer dies with it), and a new
server process, knowing nothing but the database, delivers the event once the receiver is up —
exactly once, correctly signed. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import make_organisation
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "data" / "examples" / "nmc811_pouch.json").read_text())


def _serve(settings: Any, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CELLCARBON_DATABASE_URL": settings.database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(settings.brightway_dir),
        "CELLCARBON_WEBHOOK_ALLOW_PRIVATE": "true",
        # Long enough that the first server is killed while the job waits for its second try.
        "CELLCARBON_WEBHOOK_BACKOFF_SECONDS": "3",
        "CELLCARBON_WEBHOOK_MAX_ATTEMPTS": "5",
        "CELLCARBON_WEBHOOK_TIMEOUT_SECONDS": "2",
        "CELLCARBON_JOB_STALE_AFTER_S": "1",
        "CELLCARBON_JOB_SWEEP_INTERVAL_S": "0.3",
    }
    env.pop("BRIGHTWAY_DIR", None)
    env.pop("CELLCARBON_BROKER_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "the server exited"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("the server did not get ready")


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def _deliveries(base: str, token: str, webhook_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{base}/v1/webhooks/{webhook_id}/deliveries",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_a_pending_delivery_is_sent_once_after_a_restart(
    settings: Any, receiver_factory: Any
) -> None:
    token = make_organisation(settings, f"durable hooks {uuid.uuid4().hex[:8]}")
    auth = {"Authorization": f"Bearer {token}"}
    hook_port = free_port()  # nothing listens here yet: the receiver is down
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    first = _serve(settings, port)
    try:
        with httpx.Client(base_url=base, headers=auth, timeout=60) as http:
            webhook = http.post(
                "/v1/webhooks",
                json={
                    "url": f"http://127.0.0.1:{hook_port}/hooks",
                    "event_types": ["footprint.completed"],
                },
            ).json()
            bom = http.post("/v1/boms", json=EXAMPLE).json()
            footprint = http.post(f"/v1/boms/{bom['id']}/footprints")
            assert footprint.status_code == 201, footprint.text
        deadline = time.monotonic() + 30
        while not any(d["attempts"] for d in _deliveries(base, token, webhook["id"])):
            assert time.monotonic() < deadline, "no first attempt"
            time.sleep(0.05)
    finally:
        _kill(first)
    (delivery,) = _deliveries_from_db(settings, webhook["id"])
    assert delivery["status"] == "pending" and delivery["attempts"] == 1

    receiver = receiver_factory([204], port=hook_port)
    second = _serve(settings, port)
    try:
        (received,) = receiver.wait_for(1, timeout=30)
        time.sleep(4)  # past the next backoff: nothing else may arrive
        assert len(receiver.requests) == 1
        (delivery,) = _deliveries(base, token, webhook["id"])
    finally:
        _kill(second)

    fields = dict(
        part.split("=", 1) for part in received.headers["CellCarbon-Signature"].split(",")
    )
    expected = hmac.new(
        webhook["secret"].encode(), fields["t"].encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)
    assert received.json()["data"]["footprint_id"] == footprint.json()["id"]
    assert received.headers["CellCarbon-Delivery"] == delivery["id"]
    assert delivery["status"] == "succeeded"
    attempts = delivery["attempts"]
    assert attempts[-1]["status_code"] == 204 and len(attempts) >= 2
    assert all(a["error"].startswith("ConnectError") for a in attempts[:-1])


def _deliveries_from_db(settings: Any, webhook_id: str) -> list[dict[str, Any]]:
    """The log read straight from the database, while no server runs."""
    from sqlmodel import Session, select

    from app.core.db import make_engine
    from app.webhooks.models import WebhookDelivery

    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(WebhookDelivery).where(WebhookDelivery.endpoint_id == uuid.UUID(webhook_id))
            ).all()
            return [{"status": r.status, "attempts": r.attempts} for r in rows]
    finally:
        engine.dispose()
