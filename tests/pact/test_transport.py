"""The PACT token endpoint and /3/ API answer over HTTPS only: on our TLS socket, or through a
TLS-terminating proxy named in the settings. Plain HTTP gets 403 AccessDenied before any
credential is looked at. (The TLS servers of the other PACT tests cover the HTTPS side end to
end; these drive the app in-process, where the scheme and client address are chosen.)"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

PROXY = "10.0.0.5"


@pytest.fixture(scope="module")
def proxied_app(settings: Any) -> Any:
    from app.main import create_app

    return create_app(settings.model_copy(update={"pact_trusted_proxies": [PROXY]}))


def _denied(response: Any) -> bool:
    return response.status_code == 403 and response.json().get("code") == "AccessDenied"


def _calls(client: TestClient, headers: dict[str, str] | None = None) -> list[Any]:
    return [
        client.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            auth=("client", "secret"),
            headers=headers,
        ),
        client.get("/3/footprints", headers=headers),
        client.post("/3/events", json={}, headers=headers),
    ]


def test_plain_http_is_refused(app: Any) -> None:
    with TestClient(app) as client:
        assert all(_denied(response) for response in _calls(client))
        assert client.get("/.well-known/openid-configuration").status_code == 200


def test_https_goes_on_to_the_credentials(app: Any) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        token, footprints, events = _calls(client)
    assert token.status_code == 401 and token.json()["error"] == "invalid_client"
    assert footprints.status_code == events.status_code == 401


def test_only_a_named_proxy_may_say_it_terminated_tls(proxied_app: Any) -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    with TestClient(proxied_app, client=(PROXY, 40000)) as via_proxy:
        assert all(r.status_code == 401 for r in _calls(via_proxy, forwarded))
        assert all(_denied(r) for r in _calls(via_proxy))  # the proxy's own plain HTTP
        discovery = via_proxy.get("/.well-known/openid-configuration", headers=forwarded)
        assert discovery.json()["token_endpoint"] == "https://testserver/auth/token"
    with TestClient(proxied_app, client=("10.0.0.6", 40000)) as stranger:
        assert all(_denied(r) for r in _calls(stranger, forwarded))
