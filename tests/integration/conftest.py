"""Fixtures of the integration tests: a client of a fresh organisation, webhook settings fit for
tests, and a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import make_organisation


@pytest.fixture
def org_client(app, settings) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A client acting for a new organisation, so counts and webhooks are this test's alone."""
    from fastapi.testclient import TestClient

    token = make_organisation(settings, f"integration {uuid.uuid4().hex[:8]}")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client


@pytest.fixture
def webhook_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Loopback receivers allowed; 3 attempts 0.05 s and 0.1 s apart, so a failing hook is
    given up within a second."""
    from app.webhooks.settings import get_webhook_settings

    monkeypatch.setenv("CELLCARBON_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("CELLCARBON_WEBHOOK_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("CELLCARBON_WEBHOOK_BACKOFF_SECONDS", "0.05")
    monkeypatch.setenv("CELLCARBON_WEBHOOK_TIMEOUT_SECONDS", "2")
    get_webhook_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_webhook_settings.cache_clear()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver: answers each POST with the next of ``statuses`` (the last repeats);
    on a free port, or on ``port`` (a receiver that comes up where one was down)."""

    statuses: list[int]
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
        return list(self.requests)


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(statuses: list[int], port: int = 0) -> Receiver:
        receiver = Receiver(statuses=statuses)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.arrived:
                    receiver.requests.append(Received(dict(self.headers.items()), body))
                    index = min(len(receiver.requests), len(receiver.statuses)) - 1
                    receiver.arrived.notify_all()
                self.send_response(receiver.statuses[index])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/cellcarbon"
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
