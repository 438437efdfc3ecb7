"""Every change is audited: a walk over every POST/PUT/PATCH/DELETE operation of the OpenAPI
description calls each one successfully and finds a new audit row for it. A new mutating route
fails this test until it is added here, with a call, or to the list of routes that store nothing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.access.test_access import example_bom_module, resources  # noqa: F401 (fixtures)
from tests.backgrounds.helpers import own_release, system_zip, upload, wait_for_job
from tests.boms.bom_files import HEADER, csv_bytes, metadata, table_rows
from tests.conftest import EXAMPLES, private_webhooks_allowed

MUTATING = ("post", "put", "patch", "delete")
# Operations that change nothing, and why; everything else must leave an audit row.
STORES_NOTHING = {
    ("POST", "/v1/boms/{bom_id}/scenarios"): "compares scenarios in memory; nothing is stored",
    ("POST", "/v1/verify"): "checks a signature; nothing is stored",
}
PACT_EVENT = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3"


def _organisation_of(settings: Any, bom_id: str) -> uuid.UUID:
    from app.boms.models import Bom
    from app.core.runtime import get_engine

    with get_engine(settings).connect() as connection:
        return connection.execute(
            select(Bom.organisation_id).where(Bom.id == uuid.UUID(bom_id))  # type: ignore[arg-type]
        ).scalar_one()


def _audit_rows(settings: Any, organisation_id: uuid.UUID) -> int:
    from app.core.audit import AuditEvent
    from app.core.runtime import get_engine

    with get_engine(settings).connect() as connection:
        return connection.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.organisation_id == organisation_id)  # type: ignore[arg-type]
        ).scalar_one()


def _quiet(settings: Any, organisation_id: uuid.UUID, timeout: float = 60.0) -> None:
    """Wait until the organisation's footprint and report jobs have ended, so a job started by
    one call cannot add the audit row another call is judged by."""
    from app.core.runtime import get_engine
    from app.jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with get_engine(settings).connect() as connection:
            pending = connection.execute(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.organisation_id == organisation_id,  # type: ignore[arg-type]
                    Job.status.in_(("queued", "running")),  # type: ignore[attr-defined]
                    Job.kind.in_(("footprint.compute", "report.render", "background.import")),  # type: ignore[attr-defined]
                )
            ).scalar_one()
        if pending == 0:
            return
        time.sleep(0.05)
    raise AssertionError("jobs did not finish")


def _pact_client(settings: Any, organisation_id: uuid.UUID) -> tuple[str, str]:
    from app.access.models import Organisation
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.pact.auth import create_client

    with session_scope(get_engine(settings)) as session:
        owner = session.get(Organisation, organisation_id)
        client, secret = create_client(session, owner, f"customer {uuid.uuid4().hex[:8]}")
        return str(client.id), secret


def _calls(
    client: TestClient, app: Any, ids: dict[str, str], pact: tuple[str, str], bom: dict[str, Any]
) -> dict[tuple[str, str], Callable[[], httpx.Response]]:
    """One successful call per mutating operation (each makes its own fresh resource where it
    deletes one, so the shared fixtures stay usable)."""
    supplier, footprint = ids["supplier_id"], ids["footprint_id"]
    https = TestClient(app, base_url="https://testserver")

    def token() -> httpx.Response:
        return https.post("/auth/token", auth=pact, data={"grant_type": "client_credentials"})

    def event() -> httpx.Response:
        access = token().json()["access_token"]
        body = {
            "type": PACT_EVENT,
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "//customer.example/3/events",
            "time": "2026-11-27T10:00:00.000Z",
            "data": {"pfIds": [str(uuid.uuid4())]},
        }
        return https.post(
            "/3/events",
            content=json.dumps(body),
            headers={
                "authorization": f"Bearer {access}",
                "content-type": "application/cloudevents+json; charset=UTF-8",
            },
        )

    def webhook() -> httpx.Response:
        with private_webhooks_allowed(app.state.settings):
            return client.post(
                "/v1/webhooks",
                json={"url": "http://127.0.0.1:9/hook", "event_types": ["report.ready"]},
            )

    def delete_background() -> httpx.Response:
        """A background of its own (other bytes than the shared fixture's), then deleted."""
        job = wait_for_job(client, upload(client, own_release("audit coverage"), "r.zip").json())
        return client.delete(f"/v1/backgrounds/{job['result']['background_id']}")

    def delete_webhook() -> httpx.Response:
        return client.delete(f"/v1/webhooks/{webhook().json()['id']}")

    def delete_key() -> httpx.Response:
        key = client.post("/v1/api-keys", json={"name": "short-lived", "scopes": ["read"]})
        return client.delete(f"/v1/api-keys/{key.json()['id']}")

    site = {"name": "audited site", "country": "KR", "grid_region": "KR"}
    energy_report = {
        "site_id": ids["site_id"],
        "product": "nmc811_cam",
        "period": {"start": "2021-01-01", "end": "2021-12-31"},
        "output": {"amount": "100 t"},
        "electricity": {"grid": "800 MWh"},
    }
    imported = csv_bytes(HEADER, table_rows(bom))

    def pact_client() -> httpx.Response:
        return client.post("/v1/pact/clients", json={"name": f"audited {uuid.uuid4().hex[:8]}"})

    def delete_pact_client() -> httpx.Response:
        return client.delete(f"/v1/pact/clients/{pact_client().json()['id']}")

    def share() -> httpx.Response:
        created = pact_client().json()["id"]
        return client.post(f"/v1/pact/clients/{created}/shares", json={"footprint_id": footprint})

    def unshare() -> httpx.Response:
        created = pact_client().json()["id"]
        client.post(f"/v1/pact/clients/{created}/shares", json={"footprint_id": footprint})
        return client.delete(f"/v1/pact/clients/{created}/shares/{footprint}")

    def rule() -> httpx.Response:
        created = pact_client().json()["id"]
        return client.post(
            "/v1/pact/sharing-rules",
            json={"client_id": created, "bom_id": ids["bom_id"], "share_latest": False},
        )

    def delete_rule() -> httpx.Response:
        return client.delete(f"/v1/pact/sharing-rules/{rule().json()['id']}")

    plant_document = {
        "site": "Audited",
        "grid_region": "US-SRTV",
        "time_zone": "UTC",
        "lines": [{"line_id": "L1"}],
        "meters": [{"meter_id": "m", "carrier": "electricity", "scope": "plant"}],
    }
    plant = ids["plant_id"]
    factors = "region,hour_start_utc,kg_co2e_per_kwh,source\nUS-SRTV,2026-01-01T00:00:00Z,0.4,t\n"
    lot = {
        "lot_id": f"audited-{uuid.uuid4().hex[:6]}",
        "cell_model": ids["bom_id"],
        "line": "L1",
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-01-01T01:00:00Z",
        "good_cells": 10,
    }
    reading = {"meter": "m", "timestamp": "2026-01-01T00:00:00Z", "value": 1, "unit": "kWh"}
    period = "from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z"

    def plant_footprints() -> httpx.Response:
        """A plant of its own with a reading and a lot (3 audit rows), then its footprints."""
        fresh = client.post("/v1/plants", json=plant_document).json()["id"]
        client.post(f"/v1/plants/{fresh}/readings", json=[reading])
        client.post(f"/v1/plants/{fresh}/lots", json=[lot])
        return client.post(f"/v1/plants/{fresh}/footprints?{period}")

    instrument_document = {"name": "PPA", "kind": "ppa", "technology": "solar", "market": "US-SRTV"}

    def instrument() -> httpx.Response:
        return client.post(f"/v1/plants/{plant}/instruments", json=instrument_document)

    def update_instrument() -> httpx.Response:
        created = instrument().json()["id"]
        return client.patch(f"/v1/plants/{plant}/instruments/{created}", json={"name": "PPA 2"})

    def delete_instrument() -> httpx.Response:
        return client.delete(f"/v1/plants/{plant}/instruments/{instrument().json()['id']}")

    def instrument_profile() -> httpx.Response:
        created = instrument().json()["id"]
        return client.post(
            f"/v1/plants/{plant}/instruments/{created}/profile",
            content=b"hour_start_utc,kwh\n2026-01-01T00:00:00Z,5\n",
            headers={"content-type": "text/csv"},
        )

    def opcua_source() -> httpx.Response:
        return client.post(
            f"/v1/plants/{plant}/opcua-sources",
            json={
                "url": "opc.tcp://127.0.0.1:9/closed",
                "nodes": [{"meter_id": "m", "node_id": "ns=2;s=m", "unit": "kWh"}],
            },
        )

    def delete_opcua_source() -> httpx.Response:
        created = opcua_source().json()["id"]
        return client.delete(f"/v1/plants/{plant}/opcua-sources/{created}")

    return {
        ("POST", "/v1/boms"): lambda: client.post("/v1/boms", json=bom),
        ("POST", "/v1/boms/import"): lambda: client.post(
            "/v1/boms/import",
            files={"file": ("audited.csv", imported, "text/csv")},
            data={"metadata": metadata(bom)},
        ),
        ("POST", "/v1/boms/{bom_id}/footprints"): lambda: client.post(
            f"/v1/boms/{ids['bom_id']}/footprints"
        ),
        ("POST", "/v1/footprints/{footprint_id}/uncertainty"): lambda: client.post(
            f"/v1/footprints/{footprint}/uncertainty", json={"iterations": 10}
        ),
        ("POST", "/v1/footprints/{footprint_id}/reports"): lambda: client.post(
            f"/v1/footprints/{footprint}/reports", json={"format": "csv"}
        ),
        ("POST", "/v1/suppliers"): lambda: client.post(
            "/v1/suppliers", json={"name": "Audited", "country": "KR"}
        ),
        ("POST", "/v1/suppliers/{supplier_id}/sites"): lambda: client.post(
            f"/v1/suppliers/{supplier}/sites", json=site
        ),
        ("POST", "/v1/suppliers/{supplier_id}/energy-reports"): lambda: client.post(
            f"/v1/suppliers/{supplier}/energy-reports", json=energy_report
        ),
        ("POST", "/v1/suppliers/{supplier_id}/pcfs"): lambda: client.post(
            f"/v1/suppliers/{supplier}/pcfs", json=_pcf()
        ),
        ("POST", "/v1/suppliers/{supplier_id}/invitations"): lambda: client.post(
            f"/v1/suppliers/{supplier}/invitations", json={"name": "audited invitation"}
        ),
        ("POST", "/v1/api-keys"): lambda: client.post(
            "/v1/api-keys", json={"name": "audited", "scopes": ["read"]}
        ),
        ("DELETE", "/v1/api-keys/{key_id}"): delete_key,
        ("POST", "/v1/webhooks"): webhook,
        ("DELETE", "/v1/webhooks/{webhook_id}"): delete_webhook,
        ("POST", "/auth/token"): token,
        ("POST", "/3/events"): event,
        ("POST", "/v1/footprints/batch"): lambda: client.post(
            "/v1/footprints/batch", json={"bom_id": ids["bom_id"], "variants": [{"key": "a"}]}
        ),
        ("POST", "/v1/pact/clients"): pact_client,
        ("DELETE", "/v1/pact/clients/{client_id}"): delete_pact_client,
        ("POST", "/v1/pact/clients/{client_id}/shares"): share,
        ("DELETE", "/v1/pact/clients/{client_id}/shares/{footprint_id}"): unshare,
        ("POST", "/v1/pact/sharing-rules"): rule,
        ("DELETE", "/v1/pact/sharing-rules/{rule_id}"): delete_rule,
        ("POST", "/v1/signing-keys/rotate"): lambda: client.post("/v1/signing-keys/rotate"),
        ("POST", "/v1/plants"): lambda: client.post("/v1/plants", json=plant_document),
        ("POST", "/v1/plants/{plant_id}/readings"): lambda: client.post(
            f"/v1/plants/{plant}/readings", json=[reading]
        ),
        ("POST", "/v1/plants/{plant_id}/lots"): lambda: client.post(
            f"/v1/plants/{plant}/lots", json=[lot]
        ),
        ("POST", "/v1/plants/{plant_id}/footprints"): plant_footprints,
        ("POST", "/v1/backgrounds"): lambda: upload(client, system_zip(), "release.zip"),
        ("DELETE", "/v1/backgrounds/{background_id}"): delete_background,
        ("PUT", "/v1/backgrounds/{background_id}/mapping"): lambda: client.put(
            f"/v1/backgrounds/{ids['background_id']}/mapping", json={"entries": {}}
        ),
        ("POST", "/v1/plants/{plant_id}/instruments"): instrument,
        ("PATCH", "/v1/plants/{plant_id}/instruments/{instrument_id}"): update_instrument,
        ("DELETE", "/v1/plants/{plant_id}/instruments/{instrument_id}"): delete_instrument,
        ("POST", "/v1/plants/{plant_id}/instruments/{instrument_id}/profile"): instrument_profile,
        ("POST", "/v1/plants/{plant_id}/opcua-sources"): opcua_source,
        ("DELETE", "/v1/plants/{plant_id}/opcua-sources/{source_id}"): delete_opcua_source,
        ("POST", "/v1/grid-factors"): lambda: client.post(
            "/v1/grid-factors", content=factors.encode(), headers={"content-type": "text/csv"}
        ),
    }


def _pcf() -> dict[str, Any]:
    """The first PCF of the supply-chain example (a PACT ProductFootprint)."""
    chain = json.loads((EXAMPLES / "suppliers" / "nmc811_supply_chain.json").read_text())
    pcf = next(p for entry in chain["suppliers"] for p in entry.get("pcfs", []))
    return {"material": pcf["material"], "footprint": pcf["footprint"]}


def test_every_mutating_operation_writes_an_audit_row(  # type: ignore[no-untyped-def]
    app,
    client,
    settings,
    resources,  # noqa: F811
    example_bom_module,  # noqa: F811
) -> None:
    operations = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in MUTATING
    }
    organisation_id = _organisation_of(settings, resources["bom_id"])
    calls = _calls(
        client, app, resources, _pact_client(settings, organisation_id), example_bom_module
    )
    assert operations == set(calls) | set(STORES_NOTHING), (
        "mutating operations without an audited call here: "
        f"{sorted(operations - set(calls) - set(STORES_NOTHING))}"
    )
    unaudited = []
    for operation in sorted(calls):
        _quiet(settings, organisation_id)
        before = _audit_rows(settings, organisation_id)
        response = calls[operation]()
        assert response.is_success, (operation, response.status_code, response.text)
        # Operations that create something first (the key a DELETE revokes) add two rows.
        expected = 2 if operation[0] == "DELETE" or operation == ("POST", "/3/events") else 1
        if operation == ("POST", "/v1/plants/{plant_id}/footprints"):
            expected = 4
        if _audit_rows(settings, organisation_id) - before < expected:
            unaudited.append(operation)
    assert unaudited == []


@pytest.fixture(autouse=True)
def _no_leftover_private_setting(settings: Any) -> None:
    assert not settings.webhook_allow_private


def test_a_report_file_stored_by_its_job_is_audited(client, resources) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The report request is audited as a job; the file the job stores is audited too."""
    events = client.get("/v1/audit", params={"limit": 200}).json()["data"]
    stored = [
        e
        for e in events
        if (e["action"], e["resource"], e["resource_id"])
        == ("create", "report_file", resources["report_file_id"])
    ]
    assert len(stored) == 1 and stored[0]["actor"].startswith("job:"), stored
