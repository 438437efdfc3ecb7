"""Registering a webhook endpoint through the API, for the tests of every event."""

from __future__ import annotations

from typing import Any


def register(client: Any, url: str, events: list[str] | None = None) -> dict[str, Any]:
    """``POST /v1/webhooks`` for ``events`` (default ``footprint.completed``); the created row."""
    response = client.post(
        "/v1/webhooks", json={"url": url, "event_types": events or ["footprint.completed"]}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())
