"""Webhooks: registered on the API, delivered to a real HTTP receiver on loopback, signed,
retried with backoff and logged; URLs that point into the service's network are refused."""

from __future__ import annotations

import hashlib
import hmac
import socket
import time
from typing import Any

import pytest

from app.webhooks.signing import InvalidSignature, signature_header, verify
from tests.boms.bom_files import example
from tests.webhooks.endpoints import register


def _footprint(client: Any) -> dict[str, Any]:
    bom = client.post("/v1/boms", json=example("nmc811_pouch")).json()
    response = client.post(f"/v1/boms/{bom['id']}/footprints")
    assert response.status_code == 201, response.text
    return response.json()


def _deliveries(client: Any, webhook_id: str, done: int, timeout: float = 10.0) -> list[Any]:
    """The delivery log once ``done`` deliveries have finished (succeeded or failed)."""
    deadline = time.monotonic() + timeout
    while True:
        data = client.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["data"]
        if sum(d["status"] != "pending" for d in data) >= done or time.monotonic() > deadline:
            return data
        time.sleep(0.02)


def test_signature_known_answer() -> None:
    """HMAC-SHA256(key 'whsec_test', '1700000000.{"a":1}'), computed independently with
    `printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test`."""
    header = signature_header("whsec_test", b'{"a":1}', timestamp=1_700_000_000)
    assert header == (
        "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
    )


def test_verify_refuses_tampering_and_old_timestamps() -> None:
    header = signature_header("whsec_test", b"{}", timestamp=1_700_000_000)
    assert verify("whsec_test", header, b"{}", now=1_700_000_100) == 1_700_000_000
    for secret, body, now in [
        ("whsec_other", b"{}", 1_700_000_100),
        ("whsec_test", b"{ }", 1_700_000_100),
        ("whsec_test", b"{}", 1_700_000_000 + 301),
    ]:
        with pytest.raises(InvalidSignature):
            verify(secret, header, body, now=now)


def test_footprint_completed_is_delivered_signed_and_logged(
    org_client: Any, webhook_settings: None, receiver_factory: Any
) -> None:
    receiver = receiver_factory([204])
    webhook = register(org_client, receiver.url)
    secret = webhook["secret"]
    assert secret.startswith("whsec_")
    listed = org_client.get("/v1/webhooks").json()
    assert listed["count"] == 1 and "secret" not in listed["data"][0]

    footprint = _footprint(org_client)
    (received,) = receiver.wait_for(1)
    # The documented check, written out here rather than calling our own verify():
    # v1 = hex HMAC-SHA256(secret, f"{t}." + raw body)
    fields = dict(
        part.split("=", 1) for part in received.headers["CellCarbon-Signature"].split(",")
    )
    expected = hmac.new(
        secret.encode(), fields["t"].encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)
    assert abs(int(fields["t"]) - time.time()) < 60
    event = received.json()
    assert received.headers["CellCarbon-Event"] == "footprint.completed"
    assert event["type"] == "footprint.completed"
    assert event["data"]["footprint_id"] == footprint["id"]
    assert event["data"]["kg_co2e_per_cell"] == pytest.approx(footprint["kg_co2e_per_cell"])

    (delivery,) = _deliveries(org_client, webhook["id"], done=1)
    assert delivery["status"] == "succeeded"
    assert delivery["event_id"] == event["id"]
    assert [(a["number"], a["status_code"], a["error"]) for a in delivery["attempts"]] == [
        (1, 204, None)
    ]


def test_a_failing_receiver_is_retried_with_backoff_then_logged_as_failed(
    org_client: Any, webhook_settings: None, receiver_factory: Any
) -> None:
    receiver = receiver_factory([500])
    webhook = register(org_client, receiver.url)
    _footprint(org_client)
    received = receiver.wait_for(3)
    (delivery,) = _deliveries(org_client, webhook["id"], done=1)
    assert delivery["status"] == "failed"
    assert [(a["number"], a["status_code"], a["error"]) for a in delivery["attempts"]] == [
        (1, 500, "HTTP 500"),
        (2, 500, "HTTP 500"),
        (3, 500, "HTTP 500"),
    ]
    # Same event and body each time; a fresh timestamp (and so signature) per attempt.
    assert len({r.body for r in received}) == 1
    assert len(received) == 3


def test_a_receiver_that_recovers_gets_the_event_on_a_retry(
    org_client: Any, webhook_settings: None, receiver_factory: Any
) -> None:
    receiver = receiver_factory([503, 200])
    webhook = register(org_client, receiver.url)
    _footprint(org_client)
    receiver.wait_for(2)
    (delivery,) = _deliveries(org_client, webhook["id"], done=1)
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 200]
    started = [a["started_at"] for a in delivery["attempts"]]
    assert started == sorted(started)


def test_an_unreachable_receiver_logs_the_connection_error(
    org_client: Any, webhook_settings: None
) -> None:
    with socket.socket() as probe:  # a loopback port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook = register(org_client, f"http://127.0.0.1:{port}/hooks")
    _footprint(org_client)
    (delivery,) = _deliveries(org_client, webhook["id"], done=1)
    assert delivery["status"] == "failed"
    assert len(delivery["attempts"]) == 3
    for attempt in delivery["attempts"]:
        assert attempt["status_code"] is None
        assert attempt["error"].startswith("ConnectError")


def test_only_subscribed_events_and_live_endpoints_are_sent(
    org_client: Any, webhook_settings: None, receiver_factory: Any
) -> None:
    reports = receiver_factory([200])
    deleted = receiver_factory([200])
    register(org_client, reports.url, ["report.ready"])
    gone = register(org_client, deleted.url)
    assert org_client.delete(f"/v1/webhooks/{gone['id']}").status_code == 204
    assert org_client.get(f"/v1/webhooks/{gone['id']}").status_code == 404
    assert org_client.get("/v1/webhooks").json()["count"] == 1
    _footprint(org_client)
    time.sleep(0.3)
    assert reports.requests == [] and deleted.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://user:pass@example.invalid/hook",
        "ftp://files.example/hook",
    ],
)
def test_urls_into_private_networks_are_refused(org_client: Any, url: str) -> None:
    response = org_client.post(
        "/v1/webhooks", json={"url": url, "event_types": ["footprint.completed"]}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["url"]


def test_unknown_event_types_are_422(org_client: Any) -> None:
    response = org_client.post(
        "/v1/webhooks", json={"url": "https://example.com/h", "event_types": ["bom.deleted"]}
    )
    assert response.status_code == 422


def test_pact_request_fulfilled_is_announced_to_the_data_owner(
    org_client: Any, webhook_settings: None, receiver_factory: Any, settings: Any
) -> None:
    """After a PACT reply is delivered, the owner's webhooks hear which footprints went out."""
    import uuid as uuid_module

    from app.access.models import Organisation
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.pact.delivery import _announce_fulfilled
    from app.pact.models import PactClient, PactEvent

    receiver = receiver_factory([204])
    register(org_client, receiver.url, ["pact.request.fulfilled"])
    with session_scope(get_engine(settings)) as session:
        organisation = session.get(Organisation, _organisation_of(org_client, settings))
        customer = Organisation(name=f"customer {uuid_module.uuid4().hex[:8]}")
        session.add(customer)
        session.flush()
        client = PactClient(
            organisation_id=organisation.id,
            customer_organisation_id=customer.id,
            name="automaker",
            secret_sha256="0" * 64,
        )
        session.add(client)
        session.flush()
        event = PactEvent(
            organisation_id=organisation.id,
            client_id=client.id,
            event_id="request-1",
            event_type="org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
            source="https://automaker.example/3/events",
            payload={},
        )
        session.add(event)
        session.flush()
        event_row = event.id
    reply = {
        "type": "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
        "data": {"requestEventId": "request-1", "pfs": [{"id": "pf-1"}, {"id": "pf-2"}]},
    }
    _announce_fulfilled(settings, event_row, reply)
    delivered = receiver.wait_for(1)[0].json()
    assert delivered["type"] == "pact.request.fulfilled"
    assert delivered["data"] == {
        "request_event_id": "request-1",
        "requester": "https://automaker.example/3/events",
        "footprint_ids": ["pf-1", "pf-2"],
    }


def _organisation_of(client: Any, settings: Any) -> Any:
    """The organisation behind the client's API key."""
    from sqlmodel import select

    from app.access.models import ApiKey
    from app.core.db import session_scope
    from app.core.runtime import get_engine

    prefix = client.headers["authorization"].split("_")[1]
    with session_scope(get_engine(settings)) as session:
        return session.exec(select(ApiKey.organisation_id).where(ApiKey.prefix == prefix)).one()


def test_report_ready_is_announced_with_the_files_digest(
    org_client: Any, webhook_settings: None, receiver_factory: Any
) -> None:
    """A report job stores the file and announces it: id, footprint, format, URL and SHA-256;
    the file at that URL has that digest."""
    receiver = receiver_factory([204])
    register(org_client, receiver.url, ["report.ready"])
    footprint = _footprint(org_client)
    job = org_client.post(f"/v1/footprints/{footprint['id']}/reports", json={"format": "csv"})
    assert job.status_code == 202, job.text
    (received,) = receiver.wait_for(1)
    event = received.json()
    assert event["type"] == "report.ready"
    data = event["data"]
    assert data["footprint_id"] == footprint["id"] and data["format"] == "csv"
    assert data["url"] == f"/v1/reports/{data['report_id']}"
    download = org_client.get(data["url"])
    assert hashlib.sha256(download.content).hexdigest() == data["sha256"]
    finished = org_client.get(f"/v1/jobs/{job.json()['id']}").json()
    assert finished["status"] == "succeeded"
    assert finished["result"]["report_id"] == data["report_id"]


def test_the_request_id_follows_the_work_into_jobs_and_webhooks(
    org_client: Any, webhook_settings: None, receiver_factory: Any
) -> None:
    """The X-Request-ID of a request reaches the job it starts and every webhook POST caused by
    it, so one id finds a footprint's request, job and deliveries in the logs."""
    receiver = receiver_factory([204])
    register(org_client, receiver.url)
    bom = org_client.post("/v1/boms", json=example("nmc811_pouch")).json()

    org_client.post(f"/v1/boms/{bom['id']}/footprints", headers={"X-Request-ID": "trace-sync-1"})
    (direct,) = receiver.wait_for(1)
    assert direct.headers["X-Request-ID"] == "trace-sync-1"

    accepted = org_client.post(
        f"/v1/boms/{bom['id']}/footprints?wait=false", headers={"X-Request-ID": "trace-job-2"}
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["request_id"] == "trace-job-2"
    assert "RateLimit-Limit" in accepted.headers
    deadline = time.monotonic() + 20
    while (job := org_client.get(accepted.headers["Location"]).json())["status"] != "succeeded":
        assert time.monotonic() < deadline and job["status"] != "failed", job
        time.sleep(0.05)
    assert job["request_id"] == "trace-job-2" and job["attempts"] == 1
    _, from_job = receiver.wait_for(2)
    assert from_job.headers["X-Request-ID"] == "trace-job-2"
    assert from_job.json()["data"]["footprint_id"] == job["result"]["footprint_id"]
