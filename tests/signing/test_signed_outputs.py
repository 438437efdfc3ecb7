"""Signed outputs — EU declaration, report files, PACT ProductFootprint — verified by POST
/v1/verify and by ``cellcarbon verify``; one flipped byte fails; unsigned answers unchanged."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

JOSE = {"Accept": "application/jose"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _flip_payload_byte(token: str, index: int) -> str:
    """The same JWS with one byte of its payload changed (the signature left as it was)."""
    head, payload, signature = token.split(".")
    raw = bytearray(_unb64url(payload))
    raw[index] ^= 0x01
    return f"{head}.{_b64url(bytes(raw))}.{signature}"


@pytest.fixture
def signer(org_client, example_bom) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """An organisation with one stored footprint: its client, ids and name."""
    bom = org_client.post("/v1/boms", json=example_bom).json()
    footprint = org_client.post(f"/v1/boms/{bom['id']}/footprints").json()
    key = org_client.get("/v1/signing-keys").json()["data"][0]
    return {
        "client": org_client,
        "footprint_id": footprint["id"],
        "organisation_id": key["public_jwk"]["cellcarbon:organisation"],
        "kid": key["kid"],
    }


def _problem(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["loc"] for e in response.json()["errors"]] == [[field]]


def test_signed_declaration_verifies_and_a_flipped_byte_does_not(signer) -> None:  # type: ignore[no-untyped-def]
    client, footprint_id = signer["client"], signer["footprint_id"]
    plain = client.get(f"/v1/footprints/{footprint_id}/declaration")
    assert plain.headers["content-type"] == "application/json"  # unchanged when not asked
    signed = client.get(f"/v1/footprints/{footprint_id}/declaration", headers=JOSE)
    assert signed.status_code == 200, signed.text
    assert signed.headers["content-type"] == "application/jose"
    assert "Accept" in signed.headers["vary"]

    verified = client.post("/v1/verify", json={"jws": signed.text})
    assert verified.status_code == 200, verified.text
    answer = verified.json()
    assert answer["kid"] == signer["kid"] and answer["key_status"] == "active"
    assert answer["organisation"]["id"] == signer["organisation_id"]
    assert answer["organisation"]["name"].startswith("integration ")
    assert answer["content_type"] == (
        'application/json; profile="eu-battery-carbon-footprint-declaration"'
    )
    assert answer["canonical_json"] is True
    assert answer["content"] == plain.json()  # the declaration itself, as served unsigned

    # Detached use: the declaration as a client re-serialised it still verifies ...
    head, _, sig = signed.text.split(".")
    detached = f"{head}..{sig}"
    ok = client.post("/v1/verify", json={"jws": detached, "content": plain.json()})
    assert ok.status_code == 200, ok.text
    # ... one changed figure does not.
    changed = json.loads(plain.text)
    changed["carbon_footprint"] = "tampered"
    _problem(client.post("/v1/verify", json={"jws": detached, "content": changed}), "jws")
    # One flipped byte of the signed payload fails.
    _problem(client.post("/v1/verify", json={"jws": _flip_payload_byte(signed.text, 10)}), "jws")
    # Attached token and other content: the content check says so.
    _problem(client.post("/v1/verify", json={"jws": signed.text, "content": changed}), "content")


def test_bad_verify_bodies_get_every_problem_at_once(signer) -> None:  # type: ignore[no-untyped-def]
    client = signer["client"]
    response = client.post("/v1/verify", json={"jws": "not a jws", "content": "%%% not base64"})
    assert response.status_code == 422
    assert sorted(e["loc"][0] for e in response.json()["errors"]) == ["content", "jws"]
    missing = client.post("/v1/verify", json={"content": "AA=="})
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == ["jws"]
    unknown = client.post("/v1/verify", json={"jws": "eyJhbGciOiJFZDI1NTE5Iiwia2lkIjoieCJ9.e30.AA"})
    _problem(unknown, "jws")
    assert "unknown signing key" in unknown.json()["detail"]


def _report_file(client: TestClient, footprint_id: str, fmt: str) -> dict[str, Any]:
    job = client.post(f"/v1/footprints/{footprint_id}/reports", json={"format": fmt}).json()
    deadline = time.monotonic() + 60
    while job["status"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    assert job["status"] == "succeeded", job
    return dict(job["result"])


def test_report_files_signed_attached_and_detached(signer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, footprint_id = signer["client"], signer["footprint_id"]
    # A PDF report on request, as a JWS over its exact bytes.
    signed_pdf = client.get(f"/v1/footprints/{footprint_id}/report?format=pdf", headers=JOSE)
    assert signed_pdf.status_code == 200, signed_pdf.text
    answer = client.post("/v1/verify", json={"jws": signed_pdf.text}).json()
    assert answer["content_type"] == "application/pdf" and answer["canonical_json"] is False
    pdf = _unb64url(signed_pdf.text.split(".")[1])
    assert pdf.startswith(b"%PDF")
    _problem(
        client.post("/v1/verify", json={"jws": _flip_payload_byte(signed_pdf.text, 500)}), "jws"
    )

    # A stored report file and its detached signature.
    rendered = _report_file(client, footprint_id, "xlsx")
    report_id = rendered["report_id"]
    content = client.get(f"/v1/reports/{report_id}").content
    signature = client.get(f"/v1/reports/{report_id}/signature")
    assert signature.status_code == 200
    assert signature.headers["content-type"] == "application/jose"
    assert signature.text.split(".")[1] == ""  # detached: no payload
    verified = client.post(
        "/v1/verify",
        json={"jws": signature.text, "content": base64.b64encode(content).decode()},
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["content_type"].startswith("application/vnd.openxmlformats")
    tampered = bytearray(content)
    tampered[len(tampered) // 2] ^= 0x01
    refused = client.post(
        "/v1/verify",
        json={"jws": signature.text, "content": base64.b64encode(bytes(tampered)).decode()},
    )
    _problem(refused, "jws")
    # The stored file also comes attached-signed on request.
    attached = client.get(f"/v1/reports/{report_id}", headers=JOSE)
    assert attached.headers["content-type"] == "application/jose"
    assert _unb64url(attached.text.split(".")[1]) == content


def test_cellcarbon_verify_checks_files_against_a_jwks(  # type: ignore[no-untyped-def]
    signer, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from app.cli import cli
    from app.core.settings import get_settings

    client, footprint_id = signer["client"], signer["footprint_id"]
    report_id = _report_file(client, footprint_id, "csv")["report_id"]
    report = tmp_path / "report.csv"
    report.write_bytes(client.get(f"/v1/reports/{report_id}").content)
    signature = tmp_path / "report.csv.jws"
    signature.write_text(client.get(f"/v1/reports/{report_id}/signature").text)
    declaration = tmp_path / "declaration.jws"
    declaration.write_text(
        client.get(f"/v1/footprints/{footprint_id}/declaration", headers=JOSE).text
    )
    jwks = tmp_path / "jwks.json"
    jwks.write_text(client.get("/.well-known/jwks.json").text)
    runner = CliRunner()

    detached = runner.invoke(
        cli, ["verify", str(report), "--signature", str(signature), "--jwks", str(jwks)]
    )
    assert detached.exit_code == 0, detached.output
    assert signer["organisation_id"] in detached.output and signer["kid"] in detached.output
    assert "content type: text/csv" in detached.output

    # Attached, with the keys from this server's database (no --jwks), content written out.
    monkeypatch.setenv("CELLCARBON_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        out = tmp_path / "declaration.json"
        attached = runner.invoke(cli, ["verify", str(declaration), "-o", str(out)])
    finally:
        get_settings.cache_clear()
    assert attached.exit_code == 0, attached.output
    assert "eu-battery-carbon-footprint-declaration" in attached.output
    assert (
        json.loads(out.read_bytes())
        == client.get(f"/v1/footprints/{footprint_id}/declaration").json()
    )

    # One flipped byte of the report: refused, exit 1.
    raw = bytearray(report.read_bytes())
    raw[5] ^= 0x01
    report.write_bytes(bytes(raw))
    refused = runner.invoke(
        cli, ["verify", str(report), "--signature", str(signature), "--jwks", str(jwks)]
    )
    assert refused.exit_code == 1
    assert "signature does not verify" in refused.output
    # A key set without the key: refused too.
    jwks.write_text(json.dumps({"keys": []}))
    unknown = runner.invoke(cli, ["verify", str(declaration), "--jwks", str(jwks)])
    assert unknown.exit_code == 1 and "unknown signing key" in unknown.output


def test_pact_product_footprint_signed_by_its_owner(signer, settings) -> None:  # type: ignore[no-untyped-def]
    from app.access.models import Organisation
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.pact.auth import create_client
    from app.pact.service import share

    client, footprint_id = signer["client"], signer["footprint_id"]
    with session_scope(get_engine(settings)) as session:
        owner = session.get(Organisation, uuid.UUID(signer["organisation_id"]))
        pact_client, secret = create_client(session, owner, f"customer {uuid.uuid4().hex[:8]}")
        share(session, pact_client.id, uuid.UUID(footprint_id))
        client_id = str(pact_client.id)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    pact = TestClient(client.app, base_url="https://testserver")  # the PACT API is HTTPS only
    token = pact.post(
        "/auth/token",
        content="grant_type=client_credentials",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    plain = pact.get(f"/3/footprints/{footprint_id}", headers=bearer)
    assert plain.status_code == 200 and set(plain.json()) == {"data"}  # PACT shape unchanged
    signed = pact.get(f"/3/footprints/{footprint_id}", headers={**bearer, **JOSE})
    assert signed.headers["content-type"] == "application/jose"
    answer = client.post("/v1/verify", json={"jws": signed.text}).json()
    assert answer["organisation"]["id"] == signer["organisation_id"]
    assert answer["kid"] == signer["kid"]
    assert answer["content_type"] == 'application/json; profile="pact-productfootprint-v3"'
    assert answer["content"] == plain.json()["data"]
    _problem(client.post("/v1/verify", json={"jws": _flip_payload_byte(signed.text, 3)}), "jws")
