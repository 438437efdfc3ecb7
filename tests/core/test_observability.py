"""The access log and the latency histogram time each request from its start to its end."""

from __future__ import annotations

import asyncio
import logging

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.core.observability import RequestContext


async def _slow(request):  # type: ignore[no-untyped-def]
    await asyncio.sleep(0.05)
    return PlainTextResponse("done")


def test_the_access_log_gives_the_request_its_own_duration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = RequestContext(Starlette(routes=[Route("/slow", _slow)]))
    with caplog.at_level(logging.INFO, logger="cellcarbon.access"), TestClient(app) as client:
        for _ in range(2):
            assert client.get("/slow").status_code == 200
    durations = [
        record.duration_ms for record in caplog.records if record.name == "cellcarbon.access"
    ]
    assert len(durations) == 2
    # 50 ms of sleep; not the time since some clock's origin (it once was, in the millions)
    assert all(50 <= duration < 5_000 for duration in durations), durations
