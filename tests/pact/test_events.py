"""POST /3/events: validation, and the asynchronous reply to a RequestCreatedEvent, delivered to
a requester's events endpoint (a TLS server run by the test) with retries and backoff."""

from __future__ import annotations

import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pact.conftest import Instance
from tests.servers import free_port

CE = {"content-type": "application/cloudevents+json; charset=UTF-8"}
PREFIX = "org.wbcsd.pact.ProductFootprint."


class Requester:
    """An events endpoint that fails the first ``failures`` deliveries with 503."""

    def __init__(self, tls: tuple[Path, Path], failures: int) -> None:
        self.received: list[dict[str, Any]] = []
        self.attempts = 0
        self.failures = failures
        self.arrived = threading.Event()
        requester = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["content-length"]))
                requester.attempts += 1
                if requester.attempts <= requester.failures:
                    self.send_response(503)
                    self.end_headers()
                    return
                requester.received.append(
                    {"content_type": self.headers["content-type"], "event": json.loads(body)}
                )
                self.send_response(200)
                self.end_headers()
                requester.arrived.set()

            def log_message(self, *_: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def source(self) -> str:
        return f"//127.0.0.1:{self.port}/3/events"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def requester(tls_pair: tuple[Path, Path]) -> Iterator[Requester]:
    server = Requester(tls_pair, failures=2)
    yield server
    server.close()


def _event(kind: str, data: dict[str, Any], source: str = "//requester.example/3/events"):  # type: ignore[no-untyped-def]
    return {
        "type": PREFIX + kind,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "time": "2026-11-27T10:00:00.000Z",
        "data": data,
    }


def _event_row(host: Instance, event_id: str, until: float = 15.0) -> Any:
    """The logged event once its reply is delivered or has failed."""
    from sqlmodel import Session, select

    from app.core.db import make_engine
    from app.pact.models import PactEvent

    engine = make_engine(host.database_url)
    deadline = time.monotonic() + until
    try:
        while True:
            with Session(engine) as session:
                row = session.exec(select(PactEvent).where(PactEvent.event_id == event_id)).one()
                if row.status in ("delivered", "failed") or time.monotonic() > deadline:
                    return row
            time.sleep(0.1)
    finally:
        engine.dispose()


def test_request_fulfilled_after_retries(
    host: Instance, pact: httpx.Client, requester: Requester, product_footprint_schema: Any
) -> None:
    """The requester answers 503 twice: the reply arrives on the third attempt (after 0.2 s and
    0.4 s of backoff) and carries the two footprints of the requested product."""
    product = f"urn:pact:cellcarbon.local:product-id:{host.boms['us']}"
    event = _event("RequestCreatedEvent.3", {"productId": [product]}, requester.source)
    started = time.monotonic()
    response = pact.post("/3/events", content=json.dumps(event), headers=CE)
    assert response.status_code == 200 and response.content == b""
    assert requester.arrived.wait(15), "no reply arrived"
    assert time.monotonic() - started >= 0.6  # two backoff delays: 0.2 s + 0.4 s
    assert requester.attempts == 3
    reply = requester.received[0]
    assert reply["content_type"].startswith("application/cloudevents+json")
    fulfilled = reply["event"]
    assert fulfilled["type"] == PREFIX + "RequestFulfilledEvent.3"
    assert fulfilled["specversion"] == "1.0" and fulfilled["source"].endswith("/3/events")
    assert fulfilled["data"]["requestEventId"] == event["id"]
    pfs = fulfilled["data"]["pfs"]
    assert {pf["id"] for pf in pfs} == {host.footprints["us"]["id"], host.footprints["us-v2"]["id"]}
    for pf in pfs:
        assert product_footprint_schema.is_valid(pf)
    row = _event_row(host, event["id"])
    assert (row.status, row.attempts) == ("delivered", 3)


def test_request_rejected_when_nothing_matches(pact: httpx.Client, requester: Requester) -> None:
    event = _event(
        "RequestCreatedEvent.3",
        {"productId": ["urn:pact:elsewhere:product-id:42"], "geography": ["DE"]},
        requester.source,
    )
    assert pact.post("/3/events", json=event).status_code == 200
    assert requester.arrived.wait(15), "no reply arrived"
    rejected = requester.received[0]["event"]
    assert rejected["type"] == PREFIX + "RequestRejectedEvent.3"
    assert rejected["data"]["requestEventId"] == event["id"]
    assert rejected["data"]["error"]["code"] == "NotFound"


def test_a_repeated_request_gets_one_reply(
    host: Instance, pact: httpx.Client, requester: Requester
) -> None:
    """A requester that POSTs the same event again (same source and id: the same CloudEvent,
    e.g. after a timeout) gets 200 both times, and one reply."""
    event = _event("RequestCreatedEvent.3", {"geography": ["DE"]}, requester.source)
    assert pact.post("/3/events", json=event).status_code == 200
    assert pact.post("/3/events", json=event).status_code == 200
    assert requester.arrived.wait(15), "no reply arrived"
    assert _event_row(host, event["id"]).status == "delivered"  # .one(): a single row
    time.sleep(1.0)  # a second reply would have been sent by now
    assert len(requester.received) == 1


def test_unreachable_requester_is_given_up_cleanly(host: Instance, pact: httpx.Client) -> None:
    """Nobody listens on the port: 4 attempts (0.2 + 0.4 + 0.8 s apart), then 'failed'."""
    event = _event("RequestCreatedEvent.3", {}, f"https://127.0.0.1:{free_port()}/3/events")
    assert pact.post("/3/events", json=event).status_code == 200
    row = _event_row(host, event["id"])
    assert row.status == "failed" and row.attempts == 4
    assert "ConnectError" in row.last_error
    assert row.reply["type"] == PREFIX + "RequestFulfilledEvent.3"  # all four were shared


def test_published_event_is_accepted(pact: httpx.Client) -> None:
    event = _event("PublishedEvent.3", {"pfIds": [str(uuid.uuid4()), str(uuid.uuid4())]})
    response = pact.post("/3/events", content=json.dumps(event), headers=CE)
    assert response.status_code == 200 and response.content == b""


def test_replies_to_our_requests_are_accepted(pact: httpx.Client) -> None:
    rejected = _event(
        "RequestRejectedEvent.3",
        {"requestEventId": "r-1", "error": {"code": "NotFound", "message": "none"}},
    )
    assert pact.post("/3/events", json=rejected).status_code == 200


def _malformed() -> list[tuple[str, Any]]:
    good = _event("PublishedEvent.3", {"pfIds": [str(uuid.uuid4())]})
    cases: list[tuple[str, Any]] = [
        ("pfIds not UUIDs", {**good, "data": {"pfIds": ["not-a-uuid"]}}),
        ("pfIds missing", {**good, "data": {}}),
        ("no data", {k: v for k, v in good.items() if k != "data"}),
        ("no id", {k: v for k, v in good.items() if k != "id"}),
        ("no source", {k: v for k, v in good.items() if k != "source"}),
        ("bad time", {**good, "time": "yesterday"}),
        ("bad specversion", {**good, "specversion": "0.3"}),
        ("unknown type", {**good, "type": "org.example.Unknown"}),
        ("not an object", [good]),
        (
            "request with bad filter",
            _event("RequestCreatedEvent.3", {"productId": 42}, "//127.0.0.1/3/events"),
        ),
        (
            "request with bad date",
            _event("RequestCreatedEvent.3", {"validOn": "soon"}, "//127.0.0.1/3/events"),
        ),
        ("request without a reply address", _event("RequestCreatedEvent.3", {}, "urn:x:y")),
        ("fulfilled without pfs", _event("RequestFulfilledEvent.3", {"requestEventId": "r"})),
    ]
    return cases


@pytest.mark.parametrize(("case", "body"), _malformed(), ids=[c for c, _ in _malformed()])
def test_malformed_events_are_bad_requests(pact: httpx.Client, case: str, body: Any) -> None:
    response = pact.post("/3/events", content=json.dumps(body), headers=CE)
    assert response.status_code == 400, case
    assert response.json()["code"] == "BadRequest" and response.json()["message"]


def test_a_body_that_is_not_json_is_a_bad_request(pact: httpx.Client) -> None:
    response = pact.post("/3/events", content=b"{nope", headers=CE)
    assert response.status_code == 400 and response.json()["code"] == "BadRequest"


def test_request_for_an_outdated_footprint_recomputes_it(
    host: Instance,
    requester: Requester,
    tls_pair: tuple[Path, Path],
    real_background: Any,
    product_footprint_schema: Any,
) -> None:
    """A customer's shared footprint was computed on an older background: the request makes a
    new version on the running background, shares it, and replies with both versions."""
    from sqlmodel import Session

    from app.access.models import Organisation
    from app.boms.schemas import BomCreate
    from app.boms.service import create_bom
    from app.core.db import make_engine, session_scope
    from app.core.repository import OrgRepository
    from app.footprints.models import Footprint
    from app.footprints.service import compute_footprint
    from app.pact.auth import create_client
    from app.pact.service import share
    from tests.pact.conftest import EXAMPLES, trust

    bom = json.loads((EXAMPLES / "lfp_prismatic.json").read_text())
    bom["name"] = "LFP prismatic, recomputed on request"
    engine = make_engine(host.database_url)
    with session_scope(engine) as session:
        bom_id = create_bom(
            OrgRepository(session, host.owner_id), BomCreate.model_validate(bom), real_background
        ).id
    old_id = compute_footprint(bom_id, host.owner_id, engine=engine, background=real_background)
    with session_scope(engine) as session:
        old = session.get(Footprint, old_id)
        assert old is not None
        old.background_version = "0" * 64  # as if computed before the last background build
        owner = session.get(Organisation, host.owner_id)
        assert owner is not None
        client, secret = create_client(session, owner, "Recompute Customer")
        share(session, client.id, old_id)
        client_id = str(client.id)
    with httpx.Client(base_url=host.base, verify=trust(tls_pair)) as http:
        token = http.post(
            "/auth/token", auth=(client_id, secret), data={"grant_type": "client_credentials"}
        ).json()["access_token"]
        product = f"urn:pact:cellcarbon.local:product-id:{bom_id}"
        event = _event("RequestCreatedEvent.3", {"productId": [product]}, requester.source)
        response = http.post("/3/events", json=event, headers={"authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert requester.arrived.wait(30), "no reply arrived"
    pfs = requester.received[0]["event"]["data"]["pfs"]
    assert len(pfs) == 2 and all(product_footprint_schema.is_valid(pf) for pf in pfs)
    by_status = {pf["status"]: pf for pf in pfs}
    assert by_status["Deprecated"]["id"] == str(old_id)
    assert by_status["Active"]["precedingPfIds"] == [str(old_id)]
    with Session(engine) as session:
        new = session.get(Footprint, uuid.UUID(by_status["Active"]["id"]))
        assert new is not None and new.background_version == real_background.version
    engine.dispose()
