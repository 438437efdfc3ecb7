"""PACT sharing through /v1/pact: clients, shares and sharing rules, audited and tenant-scoped,
and what a client then reads on the PACT host routes."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_organisation

PROBLEM = "application/problem+json"


def _token(app, client_id: str, secret: str) -> str:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as anonymous:  # PACT is HTTPS only
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        response = anonymous.post(
            "/auth/token",
            content="grant_type=client_credentials",
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _published(app, token: str) -> list[str]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as anonymous:  # PACT is HTTPS only
        response = anonymous.get("/3/footprints", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return [pf["id"] for pf in response.json()["data"]]


@pytest.fixture
def bom(org_client, example_bom) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = org_client.post("/v1/boms", json=example_bom)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _footprint(org_client, bom_id: str) -> str:  # type: ignore[no-untyped-def]
    response = org_client.post(f"/v1/boms/{bom_id}/footprints")
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _audited(org_client) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    rows = org_client.get("/v1/audit", params={"limit": 200}).json()["data"]
    return [(row["action"], row["resource"]) for row in rows]


def test_share_and_unshare_with_a_client(app, org_client, bom) -> None:  # type: ignore[no-untyped-def]
    created = org_client.post("/v1/pact/clients", json={"name": "Automaker"})
    assert created.status_code == 201, created.text
    client = created.json()
    assert client["client_secret"] and client["revoked_at"] is None
    listed = org_client.get("/v1/pact/clients").json()
    assert listed["count"] == 1 and "client_secret" not in listed["data"][0]
    footprint_id = _footprint(org_client, bom["id"])
    token = _token(app, client["id"], client["client_secret"])
    assert _published(app, token) == []

    url = f"/v1/pact/clients/{client['id']}/shares"
    first = org_client.post(url, json={"footprint_id": footprint_id})
    assert first.status_code == 201, first.text
    assert org_client.post(url, json={"footprint_id": footprint_id}).status_code == 200
    assert [s["footprint_id"] for s in org_client.get(url).json()["data"]] == [footprint_id]
    assert _published(app, token) == [footprint_id]

    assert org_client.delete(f"{url}/{footprint_id}").status_code == 204
    assert _published(app, token) == []
    again = org_client.delete(f"{url}/{footprint_id}")
    assert again.status_code == 404 and again.headers["content-type"] == PROBLEM
    audited = _audited(org_client)
    for entry in (
        ("create", "pact_client"),
        ("create", "pact_share"),
        ("delete", "pact_share"),
    ):
        assert entry in audited


def test_a_sharing_rule_shares_new_footprints_of_its_bom(app, org_client, bom, example_bom) -> None:  # type: ignore[no-untyped-def]
    """Rule for BOM A: A's newest footprint at once, A's next one when stored; never B's; none
    after the rule is revoked."""
    before = _footprint(org_client, bom["id"])
    client = org_client.post("/v1/pact/clients", json={"name": "Automaker"}).json()
    token = _token(app, client["id"], client["client_secret"])
    rule = org_client.post(
        "/v1/pact/sharing-rules", json={"client_id": client["id"], "bom_id": bom["id"]}
    )
    assert rule.status_code == 201, rule.text
    assert _published(app, token) == [before]
    after = _footprint(org_client, bom["id"])
    example_bom["name"] = "another cell"
    other_bom = org_client.post("/v1/boms", json=example_bom).json()
    _footprint(org_client, other_bom["id"])
    assert sorted(_published(app, token)) == sorted([before, after])

    assert org_client.get("/v1/pact/sharing-rules").json()["count"] == 1
    assert org_client.delete(f"/v1/pact/sharing-rules/{rule.json()['id']}").status_code == 204
    # Idempotent: revoking again is a 204, and the revocation is audited once (below).
    assert org_client.delete(f"/v1/pact/sharing-rules/{rule.json()['id']}").status_code == 204
    _footprint(org_client, bom["id"])
    assert sorted(_published(app, token)) == sorted([before, after])
    audited = _audited(org_client)
    assert ("create", "pact_sharing_rule") in audited
    assert audited.count(("revoke", "pact_sharing_rule")) == 1


def test_a_revoked_client_gets_no_token_and_no_shares(app, org_client, bom) -> None:  # type: ignore[no-untyped-def]
    client = org_client.post("/v1/pact/clients", json={"name": "Former customer"}).json()
    token = _token(app, client["id"], client["client_secret"])
    assert org_client.delete(f"/v1/pact/clients/{client['id']}").status_code == 204
    with TestClient(app, base_url="https://testserver") as anonymous:  # PACT is HTTPS only
        refused = anonymous.get("/3/footprints", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    footprint_id = _footprint(org_client, bom["id"])
    share = org_client.post(
        f"/v1/pact/clients/{client['id']}/shares", json={"footprint_id": footprint_id}
    )
    assert share.status_code == 422 and share.headers["content-type"] == PROBLEM
    assert share.json()["errors"][0]["loc"] == ["client_id"]
    # DELETE is idempotent (as for API keys): revoking again is a 204 and audited once.
    assert org_client.delete(f"/v1/pact/clients/{client['id']}").status_code == 204
    assert _audited(org_client).count(("revoke", "pact_client")) == 1


def test_bad_bodies_and_scopes(app, settings, org_client, bom) -> None:  # type: ignore[no-untyped-def]
    bad = org_client.post("/v1/pact/clients", json={"name": "", "extra": 1})
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert {tuple(e["loc"][-1:]) for e in bad.json()["errors"]} == {("name",), ("extra",)}
    client = org_client.post("/v1/pact/clients", json={"name": "Automaker"}).json()
    missing = "00000000-0000-0000-0000-000000000000"
    rule = org_client.post(
        "/v1/pact/sharing-rules", json={"client_id": client["id"], "bom_id": missing}
    )
    assert rule.status_code == 404
    assert org_client.get("/v1/pact/sharing-rules").json()["count"] == 0
    writer = org_client.post("/v1/api-keys", json={"name": "w", "scopes": ["read", "write"]})
    with TestClient(app, headers={"Authorization": f"Bearer {writer.json()['token']}"}) as plain:
        assert plain.get("/v1/pact/clients").status_code == 403
        assert plain.post("/v1/pact/clients", json={"name": "x"}).status_code == 403


def test_another_organisations_footprint_cannot_be_shared(app, settings, org_client, bom) -> None:  # type: ignore[no-untyped-def]
    footprint_id = _footprint(org_client, bom["id"])
    token = make_organisation(settings, "pact intruder")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as intruder:
        own = intruder.post("/v1/pact/clients", json={"name": "Accomplice"}).json()
        response = intruder.post(
            f"/v1/pact/clients/{own['id']}/shares", json={"footprint_id": footprint_id}
        )
        assert response.status_code == 404, response.text
        rule = intruder.post(
            "/v1/pact/sharing-rules", json={"client_id": own["id"], "bom_id": bom["id"]}
        )
        assert rule.status_code == 404, rule.text
