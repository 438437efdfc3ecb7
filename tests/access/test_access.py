"""API keys, scopes, tenancy isolation, rate limits and the audit log."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.backgrounds.helpers import import_test_system
from tests.conftest import make_organisation, private_webhooks_allowed


@pytest.fixture(scope="module")
def other(app, settings):  # type: ignore[no-untyped-def]
    """A client of a second organisation."""
    token = make_organisation(settings, f"other organisation {time.time_ns()}")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


@pytest.fixture(scope="module")
def resources(client, example_bom_module) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One of each resource in the first organisation, by path parameter name."""
    bom = client.post("/v1/boms", json=example_bom_module).json()
    footprint = client.post(f"/v1/boms/{bom['id']}/footprints").json()
    job = client.post(
        f"/v1/footprints/{footprint['id']}/uncertainty", json={"iterations": 10}
    ).json()
    supplier = client.post("/v1/suppliers", json={"name": "Isolated", "country": "KR"}).json()
    site = client.post(
        f"/v1/suppliers/{supplier['id']}/sites",
        json={"name": "s", "country": "KR", "grid_region": "KR"},
    ).json()
    report = client.post(
        f"/v1/suppliers/{supplier['id']}/energy-reports",
        json={
            "site_id": site["id"],
            "product": "nmc811_cam",
            "period": {"start": "2024-01-01", "end": "2024-12-31"},
            "output": {"amount": "100 t"},
            "electricity": {"grid": "800 MWh"},
        },
    ).json()
    key = client.post("/v1/api-keys", json={"name": "victim", "scopes": ["read"]}).json()
    webhook = _loopback_webhook(client)
    rendered = _rendered_report(client, footprint["id"])
    plant = client.post(
        "/v1/plants",
        json={
            "site": "Isolated",
            "grid_region": "US-SRTV",
            "time_zone": "UTC",
            "lines": [{"line_id": "L1"}],
            "meters": [{"meter_id": "m", "carrier": "electricity", "scope": "plant"}],
        },
    ).json()
    instrument = client.post(
        f"/v1/plants/{plant['id']}/instruments",
        json={"name": "PPA", "kind": "ppa", "technology": "solar", "market": "US-SRTV"},
    ).json()
    source = client.post(
        f"/v1/plants/{plant['id']}/opcua-sources",
        json={
            "url": "opc.tcp://127.0.0.1:9/closed",
            "nodes": [{"meter_id": "m", "node_id": "ns=2;s=m", "unit": "kWh"}],
        },
    ).json()
    pact_client = client.post("/v1/pact/clients", json={"name": "Isolated customer"}).json()
    client.post(
        f"/v1/pact/clients/{pact_client['id']}/shares", json={"footprint_id": footprint["id"]}
    )
    rule = client.post(
        "/v1/pact/sharing-rules",
        json={"client_id": pact_client["id"], "bom_id": bom["id"], "share_latest": False},
    ).json()
    signing_key = client.get("/v1/signing-keys").json()["data"][0]
    batch = client.post(
        "/v1/footprints/batch?store=true", json={"bom_id": bom["id"], "variants": [{"key": "a"}]}
    )
    return {
        "background_id": import_test_system(client),
        "plant_id": plant["id"],
        "instrument_id": instrument["id"],
        "source_id": source["id"],
        "batch_id": batch.headers["x-batch-id"],
        "kid": signing_key["kid"],
        "client_id": pact_client["id"],
        "rule_id": rule["id"],
        "report_file_id": rendered["report_id"],
        "webhook_id": webhook["id"],
        "bom_id": bom["id"],
        "footprint_id": footprint["id"],
        "job_id": job["id"],
        "supplier_id": supplier["id"],
        "site_id": site["id"],
        "report_id": report["id"],
        "key_id": key["id"],
    }


def _rendered_report(client, footprint_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A report file rendered by a job (its job result)."""
    job = client.post(f"/v1/footprints/{footprint_id}/reports", json={"format": "csv"}).json()
    deadline = time.monotonic() + 60
    while job["status"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    assert job["status"] == "succeeded", job
    return dict(job["result"])


def _loopback_webhook(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A webhook on a closed loopback port, for an event this module never emits (no DNS here,
    and no traffic may leave the machine)."""
    with private_webhooks_allowed(client.app.state.settings):
        response = client.post(
            "/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["pact.request.fulfilled"]},
        )
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture(scope="module")
def example_bom_module() -> dict[str, Any]:
    import json
    from pathlib import Path

    return json.loads((Path(__file__).parents[2] / "data/examples/nmc811_pouch.json").read_text())


def _bodies(ids: dict[str, str]) -> dict[tuple[str, str], Any]:
    """Valid bodies for the routes that take one, so a 404 cannot hide behind a 422."""
    return {
        ("POST", "/v1/boms/{bom_id}/footprints"): None,
        ("POST", "/v1/boms/{bom_id}/scenarios"): {"scenarios": [{"name": "x"}]},
        ("POST", "/v1/footprints/{footprint_id}/uncertainty"): {"iterations": 10},
        ("POST", "/v1/footprints/{footprint_id}/reports"): {"format": "json"},
        ("POST", "/v1/suppliers/{supplier_id}/sites"): {
            "name": "s",
            "country": "KR",
            "grid_region": "KR",
        },
        ("POST", "/v1/suppliers/{supplier_id}/energy-reports"): {
            "site_id": ids["site_id"],
            "product": "nmc811_cam",
            "period": {"start": "2023-01-01", "end": "2023-12-31"},
            "output": {"amount": "100 t"},
            "electricity": {"grid": "800 MWh"},
        },
        ("POST", "/v1/suppliers/{supplier_id}/pcfs"): {
            "material": "nmc811_cam",
            "footprint": {"pcf": {}},
        },
        ("POST", "/v1/suppliers/{supplier_id}/invitations"): {"name": "x"},
        ("POST", "/v1/pact/clients/{client_id}/shares"): {"footprint_id": ids["footprint_id"]},
        ("POST", "/v1/plants/{plant_id}/readings"): [
            {"meter": "m", "timestamp": "2026-01-01T00:00:00Z", "value": 1, "unit": "kWh"}
        ],
        ("POST", "/v1/plants/{plant_id}/lots"): [
            {
                "lot_id": "x",
                "cell_model": ids["bom_id"],
                "line": "L1",
                "start": "2026-01-01T00:00:00Z",
                "end": "2026-01-01T01:00:00Z",
                "good_cells": 1,
            }
        ],
        ("POST", "/v1/plants/{plant_id}/footprints"): {},
        ("PUT", "/v1/backgrounds/{background_id}/mapping"): {"entries": {}},
        ("POST", "/v1/plants/{plant_id}/instruments"): {
            "name": "x",
            "kind": "ppa",
            "technology": "solar",
            "market": "US-SRTV",
        },
        ("PATCH", "/v1/plants/{plant_id}/instruments/{instrument_id}"): {"name": "y"},
        ("POST", "/v1/plants/{plant_id}/opcua-sources"): {
            "url": "opc.tcp://127.0.0.1:9/closed",
            "nodes": [{"meter_id": "m", "node_id": "ns=2;s=m", "unit": "kWh"}],
        },
        ("POST", "/v1/plants/{plant_id}/instruments/{instrument_id}/profile"): {
            "first_hour": "2026-01-01T00:00:00Z",
            "kwh": [1.0],
        },
    }


def _resource_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every /v1 operation on a resource id, from the OpenAPI description of the app."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/") and "{" in path
        for method in operations
    ]


def test_another_organisation_sees_404_everywhere(app, client, other, resources) -> None:  # type: ignore[no-untyped-def]
    bodies = _bodies(resources)
    checked = 0
    for method, path in _resource_routes(app):
        url = re.sub(r"\{(\w+)\}", lambda m: resources[m.group(1)], path)
        if method in ("GET", "DELETE"):
            response = other.request(method, url)
        else:
            assert (method, path) in bodies, f"add a valid body for {method} {path} to this test"
            response = other.request(method, url, json=bodies[(method, path)])
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        checked += 1
    assert checked >= 15
    # Lists show only the caller's own rows.
    for listing in (
        "/v1/boms",
        "/v1/suppliers",
        "/v1/api-keys",
        "/v1/audit",
        "/v1/pact/clients",
        "/v1/pact/sharing-rules",
        "/v1/plants",
        "/v1/backgrounds",
    ):
        ids = {row["id"] for row in other.get(listing).json()["data"]}
        assert not ids & set(resources.values()), listing
    # And the owner still sees everything.
    assert client.get(f"/v1/boms/{resources['bom_id']}").status_code == 200


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "send an API key"),
        ("Basic dXNlcjpwYXNz", "send an API key"),
        ("Bearer nonsense", "unknown API key"),
        ("Bearer cc_000000000000_" + "x" * 43, "unknown API key"),
    ],
)
def test_missing_or_bad_keys_are_401(app, header, reason) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as anonymous:
        response = anonymous.get("/v1/boms", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_scopes_expiry_and_revocation(app, client) -> None:  # type: ignore[no-untyped-def]
    reader = client.post("/v1/api-keys", json={"name": "reader", "scopes": ["read"]}).json()
    assert reader["token"].startswith("cc_")
    assert "token" not in client.get("/v1/api-keys").json()["data"][0]
    with TestClient(app, headers={"Authorization": f"Bearer {reader['token']}"}) as read_only:
        assert read_only.get("/v1/boms").status_code == 200
        assert (
            read_only.post("/v1/suppliers", json={"name": "x", "country": "KR"}).status_code == 403
        )
        assert read_only.get("/v1/audit").status_code == 403
        assert client.delete(f"/v1/api-keys/{reader['id']}").status_code == 204
        revoked = read_only.get("/v1/boms")
        assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    # A retried revocation succeeds and is audited once.
    assert client.delete(f"/v1/api-keys/{reader['id']}").status_code == 204
    revocations = [
        e
        for e in client.get("/v1/audit", params={"limit": 200}).json()["data"]
        if (e["action"], e["resource_id"]) == ("revoke", reader["id"])
    ]
    assert len(revocations) == 1


def test_expired_key_is_401(app, client, settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from app.access.models import ApiKey
    from app.core.db import session_scope
    from app.core.runtime import get_engine

    created = client.post(
        "/v1/api-keys", json={"name": "short", "scopes": ["read"], "expires_in_days": 1}
    ).json()
    with session_scope(get_engine(settings)) as session:
        key = session.get(ApiKey, __import__("uuid").UUID(created["id"]))
        key.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    with TestClient(app, headers={"Authorization": f"Bearer {created['token']}"}) as expired:
        response = expired.get("/v1/boms")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_supplier_key_may_only_submit_its_own_reports(app, client, resources) -> None:  # type: ignore[no-untyped-def]
    supplier = resources["supplier_id"]
    invitation = client.post(f"/v1/suppliers/{supplier}/invitations", json={"name": "Isolated Co"})
    assert invitation.status_code == 201, invitation.text
    assert invitation.json()["scopes"] == ["supplier-reports"]
    with TestClient(
        app, headers={"Authorization": f"Bearer {invitation.json()['token']}"}
    ) as guest:
        report = guest.post(
            f"/v1/suppliers/{supplier}/energy-reports",
            json={
                "site_id": resources["site_id"],
                "product": "nmc811_cam",
                "period": {"start": "2022-01-01", "end": "2022-12-31"},
                "output": {"amount": "90 t"},
                "electricity": {"grid": "700 MWh"},
            },
        )
        assert report.status_code == 201, report.text
        assert guest.get(f"/v1/suppliers/{supplier}/energy-reports").status_code == 200
        assert guest.get("/v1/boms").status_code == 403
        assert guest.get(f"/v1/boms/{resources['bom_id']}").status_code == 403
        other_supplier = client.post(
            "/v1/suppliers", json={"name": "Other", "country": "KR"}
        ).json()["id"]
        assert guest.get(f"/v1/suppliers/{other_supplier}/energy-reports").status_code == 403


def test_audit_log_records_changes_and_cannot_be_changed(client, settings, resources) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from app.core.runtime import get_engine

    events = client.get("/v1/audit", params={"limit": 200}).json()["data"]
    seen = {(e["action"], e["resource"], e["resource_id"]) for e in events}
    for resource, key in (
        ("bom", "bom_id"),
        ("footprint", "footprint_id"),
        ("supplier", "supplier_id"),
        ("energy_report", "report_id"),
        ("api_key", "key_id"),
    ):
        assert ("create", resource, resources[key]) in seen, resource
    # The organisation and its first key were made by the CLI, report files by the jobs that
    # render them, PACT requests by the customers' clients; everything else by API keys.
    others = [e for e in events if not e["actor"].startswith(("api-key:", "job:", "pact-client:"))]
    assert all(e["actor"] == "cli" for e in others), others
    assert all(len(e["payload_sha256"]) == 64 for e in events), [
        e for e in events if len(e["payload_sha256"]) != 64
    ]
    cli_made = {"organisation", "api_key", "pact_client"}  # cellcarbon org / org key / pact client
    assert {e["resource"] for e in events if e["actor"] == "cli"} <= cli_made
    with pytest.raises(Exception, match="append-only"):
        with get_engine(settings).begin() as connection:
            connection.execute(text("UPDATE audit_event SET action = 'forged'"))
    with pytest.raises(Exception, match="append-only"):
        with get_engine(settings).begin() as connection:
            connection.execute(text("DELETE FROM audit_event"))


def test_rate_limit_headers_and_429(app, settings) -> None:  # type: ignore[no-untyped-def]
    from app.main import create_app

    limited = create_app(settings.model_copy(update={"rate_limit_per_minute": 3}))
    token = make_organisation(settings, f"rate limited {time.time_ns()}")
    with TestClient(limited, headers={"Authorization": f"Bearer {token}"}) as client:
        first = client.get("/v1/boms")
        assert first.headers["ratelimit-limit"] == "3"
        assert first.headers["ratelimit-remaining"] == "2"
        client.get("/v1/boms")
        client.get("/v1/boms")
        blocked = client.get("/v1/boms")
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1


def test_request_ids_health_split_and_metrics(client) -> None:  # type: ignore[no-untyped-def]
    given = client.get("/v1/boms", headers={"X-Request-ID": "trace-123"})
    assert given.headers["x-request-id"] == "trace-123"
    fresh = client.get("/v1/boms", headers={"X-Request-ID": "bad id with spaces"})
    assert len(fresh.headers["x-request-id"]) == 32
    assert client.get("/health/live").json()["status"] == "ok"
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "background": True}
    metrics = client.get("/metrics").text
    bucket = 'cellcarbon_http_request_duration_seconds_bucket{le="0.002",method="GET"'
    assert f'{bucket},route="/v1/boms"' in metrics
    assert "cellcarbon_footprints_total" in metrics and "cellcarbon_jobs_queued" in metrics


def test_only_admin_keys_mint_supplier_keys_and_their_lifetime_is_capped(  # type: ignore[no-untyped-def]
    app, client, settings, resources
) -> None:
    """A write key may not invite a supplier (it could hand out keys that outlive its own
    revocation); an admin's invitation lives at most supplier_key_max_days (400 by default),
    is listed with the other keys and is revoked like them."""
    supplier = resources["supplier_id"]
    writer = client.post("/v1/api-keys", json={"name": "writer", "scopes": ["write"]}).json()
    keys_before = client.get("/v1/api-keys").json()["count"]
    with TestClient(app, headers={"Authorization": f"Bearer {writer['token']}"}) as write_only:
        refused = write_only.post(
            f"/v1/suppliers/{supplier}/invitations", json={"expires_in_days": 3650}
        )
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/api-keys").json()["count"] == keys_before  # nothing stored

    too_long = client.post(
        f"/v1/suppliers/{supplier}/invitations",
        json={"expires_in_days": settings.supplier_key_max_days + 1},
    )
    assert too_long.status_code == 422, too_long.text
    assert too_long.json()["errors"][0]["loc"] == ["body", "expires_in_days"]
    assert client.get("/v1/api-keys").json()["count"] == keys_before

    unbounded = client.post(
        f"/v1/suppliers/{supplier}/invitations", json={"expires_in_days": None}
    ).json()
    from datetime import UTC, datetime

    lifetime = datetime.fromisoformat(unbounded["expires_at"]) - datetime.now(UTC)
    assert settings.supplier_key_max_days - 1 < lifetime.days + 1 <= settings.supplier_key_max_days
    listed = {k["id"]: k for k in client.get("/v1/api-keys").json()["data"]}
    assert listed[unbounded["id"]]["scopes"] == ["supplier-reports"]
    assert client.delete(f"/v1/api-keys/{unbounded['id']}").status_code == 204
    with TestClient(app, headers={"Authorization": f"Bearer {unbounded['token']}"}) as guest:
        gone = guest.get(f"/v1/suppliers/{supplier}/energy-reports")
    assert gone.status_code == 401 and "revoked" in gone.json()["detail"]
