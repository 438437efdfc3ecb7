"""Webhook and PACT callback URLs cannot reach the service's own network: not through IPv6
forms that embed a private IPv4 address, and not by answering DNS differently at delivery time."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from app.webhooks.urls import refused_address

PUBLIC = "93.184.216.34"  # any global unicast address; nothing is ever sent to it here


@pytest.mark.parametrize(
    "address",
    [
        "::7f00:1",  # IPv4-compatible ::127.0.0.1
        "::127.0.0.1",
        "::a00:1",  # ::10.0.0.1
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:0:a9fe:a9fe",  # IPv4-translated 169.254.169.254 (RFC 2765)
        "64:ff9b::7f00:1",  # NAT64 well-known prefix, 127.0.0.1 inside
        "64:ff9b::a9fe:a9fe",  # NAT64 to the cloud metadata address
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:c0a8:1::1",  # 6to4 of 192.168.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1 (bits inverted)
    ],
)
def test_ipv6_forms_embedding_private_ipv4_are_refused(address: str) -> None:
    assert refused_address(address)


@pytest.mark.parametrize("address", ["64:ff9b::5db8:d822", "2002:5db8:d822::1", "2606:4700::1"])
def test_ipv6_forms_embedding_public_ipv4_stay_allowed(address: str) -> None:
    """64:ff9b::5db8:d822 and 2002:5db8:d822:: carry 93.184.216.34, a public address."""
    assert not refused_address(address)


@pytest.mark.parametrize(
    "host", ["[::7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::127.0.0.1]"]
)
def test_webhook_registration_refuses_embedded_loopback(org_client: Any, host: str) -> None:
    response = org_client.post(
        "/v1/webhooks", json={"url": f"https://{host}/hook", "event_types": ["report.ready"]}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["url"]
    assert org_client.get("/v1/webhooks").json()["count"] == 0


class _Listener:
    """A TCP listener on loopback that records the bytes each connection sends (a TLS
    ClientHello or an HTTP request alike: any byte means the service reached it)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(4096))
                except OSError:
                    self.received.append(b"")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    server = _Listener()
    yield server
    server.close()


@pytest.fixture
def rebinding_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """``rebind.test`` answers a public address on the first lookup of each round and
    127.0.0.1 afterwards, as a rebinding attacker's DNS server would; other names resolve as
    usual. Set ``calls`` to 0 to start a round."""
    real = socket.getaddrinfo
    state = {"calls": 0}

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        state["calls"] += 1
        address = PUBLIC if state["calls"] == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return state


def test_rebinding_between_check_and_connect_is_refused_by_the_peer_check(
    org_client: Any, settings: Any, listener: _Listener, rebinding_dns: dict[str, int]
) -> None:
    """The URL passes the lookup at registration and the one before the attempt (public both
    times); the connection's own lookup then answers 127.0.0.1. The delivery must stop at the
    socket's peer address: not one byte reaches the loopback listener."""
    from sqlmodel import Session

    from app.core.runtime import get_engine
    from app.webhooks.delivery import attempt_delivery
    from app.webhooks.models import WebhookDelivery

    url = f"https://rebind.test:{listener.port}/hook"
    created = org_client.post("/v1/webhooks", json={"url": url, "event_types": ["report.ready"]})
    assert created.status_code == 201, created.text
    webhook = created.json()
    engine = get_engine(settings)
    with Session(engine) as session:
        delivery = WebhookDelivery(
            organisation_id=_organisation_of(session, webhook["id"]),
            endpoint_id=uuid.UUID(webhook["id"]),
            event_id=uuid.uuid4(),
            event_type="report.ready",
            body="{}",
        )
        session.add(delivery)
        session.commit()
        delivery_id = delivery.id
    rebinding_dns["calls"] = 0
    attempted = attempt_delivery(engine, delivery_id, settings)
    assert rebinding_dns["calls"] == 2  # the check, then the connection's own lookup
    assert attempted.status == "failed" and attempted.attempts == 1  # final: no retry
    assert attempted.error is not None and "refused" in attempted.error, attempted
    assert "127.0.0.1" in attempted.error
    listener.close()
    assert all(chunk == b"" for chunk in listener.received), listener.received


def _organisation_of(session: Any, webhook_id: str) -> uuid.UUID:
    from app.webhooks.models import WebhookEndpoint

    endpoint = session.get(WebhookEndpoint, uuid.UUID(webhook_id))
    assert endpoint is not None
    return uuid.UUID(str(endpoint.organisation_id))


def test_guarded_client_reaches_public_peers_only_unless_private_is_allowed(
    listener: _Listener,
) -> None:
    """The same loopback listener: refused by the guarded client, reached when the setting
    allows private addresses (so the refusal above is the guard's doing, not the listener's)."""
    import httpx

    from app.core.settings import Settings
    from app.webhooks.urls import guarded_client

    with guarded_client(Settings(webhook_allow_private=False), timeout=2) as http:
        with pytest.raises(httpx.ConnectError, match="refused"):
            http.post(f"http://127.0.0.1:{listener.port}/hook", content=b"{}")
    with guarded_client(Settings(webhook_allow_private=True), timeout=2) as http:
        with pytest.raises(httpx.HTTPError):  # the listener answers nothing
            http.post(f"http://127.0.0.1:{listener.port}/hook", content=b"{}")
    listener.close()
    assert [chunk[:4] for chunk in listener.received] == [b"", b"POST"]
