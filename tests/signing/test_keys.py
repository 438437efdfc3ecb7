"""Organisations' signing keys: one made on first use, rotation, the published JWK Set, keys
encrypted at rest, and private keys kept out of logs and answers."""

from __future__ import annotations

import base64
import logging
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import OKPKey
from pydantic import SecretStr
from sqlmodel import col, select

from tests.conftest import make_organisation

JOSE = {"Accept": "application/jose"}


def _footprint(client: TestClient, example_bom: dict[str, Any]) -> str:
    bom = client.post("/v1/boms", json=example_bom)
    assert bom.status_code == 201, bom.text
    footprint = client.post(f"/v1/boms/{bom.json()['id']}/footprints")
    assert footprint.status_code == 201, footprint.text
    return str(footprint.json()["id"])


def _rows(settings: Any, organisation_id: str) -> list[Any]:
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.signing.models import OrganisationSigningKey

    with session_scope(get_engine(settings)) as session:
        rows = session.exec(
            select(OrganisationSigningKey).where(
                col(OrganisationSigningKey.organisation_id) == uuid.UUID(organisation_id)
            )
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def _organisation_id(client: TestClient) -> str:
    keys = client.get("/v1/signing-keys").json()
    return str(keys["data"][0]["public_jwk"]["cellcarbon:organisation"])


def test_one_key_is_made_on_first_use_and_reused(org_client, settings, example_bom) -> None:  # type: ignore[no-untyped-def]
    footprint_id = _footprint(org_client, example_bom)
    first = org_client.get(f"/v1/footprints/{footprint_id}/declaration", headers=JOSE)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/jose"
    second = org_client.get(f"/v1/footprints/{footprint_id}/report", headers=JOSE)
    listed = org_client.get("/v1/signing-keys").json()
    assert listed["count"] == 1
    kid = listed["data"][0]["kid"]
    assert listed["data"][0]["status"] == "active"
    assert len(_rows(settings, _organisation_id(org_client))) == 1
    # Both outputs name the one key in their protected header.
    for token in (first.text, second.text):
        header = _header(token)
        assert header["kid"] == kid and header["alg"] == "Ed25519"
    audit = org_client.get("/v1/audit").json()["data"]
    assert [e["resource_id"] for e in audit if e["resource"] == "signing_key"] == [kid]


def _header(token: str) -> dict[str, Any]:
    import json

    head = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))))


def test_rotation_retires_the_old_key_which_still_verifies(org_client, example_bom) -> None:  # type: ignore[no-untyped-def]
    footprint_id = _footprint(org_client, example_bom)
    old_token = org_client.get(f"/v1/footprints/{footprint_id}/declaration", headers=JOSE).text
    old_kid = _header(old_token)["kid"]
    rotated = org_client.post("/v1/signing-keys/rotate")
    assert rotated.status_code == 201, rotated.text
    new_kid = rotated.json()["kid"]
    assert new_kid != old_kid and rotated.json()["status"] == "active"
    assert rotated.headers["location"] == f"/v1/signing-keys/{new_kid}"
    statuses = {k["kid"]: k["status"] for k in org_client.get("/v1/signing-keys").json()["data"]}
    assert statuses == {old_kid: "retired", new_kid: "active"}
    old = org_client.get(f"/v1/signing-keys/{old_kid}").json()
    assert old["retired_at"] is not None
    # What the old key signed still verifies, and says the key is retired.
    verified = org_client.post("/v1/verify", json={"jws": old_token})
    assert verified.status_code == 200, verified.text
    assert verified.json()["kid"] == old_kid and verified.json()["key_status"] == "retired"
    # New signatures come from the new key.
    new_token = org_client.get(f"/v1/footprints/{footprint_id}/declaration", headers=JOSE).text
    assert _header(new_token)["kid"] == new_kid
    # The public set publishes both.
    published = {k["kid"]: k for k in org_client.get("/.well-known/jwks.json").json()["keys"]}
    assert published[old_kid]["cellcarbon:status"] == "retired"
    assert published[new_kid]["cellcarbon:status"] == "active"
    actions = [
        (e["action"], e["resource_id"])
        for e in org_client.get("/v1/audit").json()["data"]
        if e["resource"] == "signing_key"
    ]
    assert sorted(actions) == sorted(
        [("create", old_kid), ("retire", old_kid), ("create", new_kid)]
    )


def test_rotation_needs_an_admin_key(app, settings, org_client) -> None:  # type: ignore[no-untyped-def]
    key = org_client.post("/v1/api-keys", json={"name": "writer", "scopes": ["write"]}).json()
    with TestClient(app, headers={"Authorization": f"Bearer {key['token']}"}) as writer:
        assert writer.post("/v1/signing-keys/rotate").status_code == 403
        assert writer.get("/v1/signing-keys").status_code == 403


def test_jwks_is_public_and_has_no_private_part(app, org_client) -> None:  # type: ignore[no-untyped-def]
    org_client.get("/v1/signing-keys")  # at least this organisation has a key
    with TestClient(app) as anonymous:
        response = anonymous.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys
    for jwk in keys:
        assert "d" not in jwk
        assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == (
            "OKP",
            "Ed25519",
            "Ed25519",
            "sig",
        )
        # kid is the RFC 7638 thumbprint of the public key itself.
        assert (
            OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}).thumbprint()
            == (jwk["kid"])
        )
        assert jwk["cellcarbon:status"] in ("active", "retired")
    assert "PRIVATE" not in response.text


def _secrets_of(row: Any) -> list[str]:
    """The forms a private key could leak in: its PEM, the PEM's base64 body, the raw 32-byte
    key as base64url (the JWK's ``d``), as hex and as standard base64."""
    pem = row.private_key.decode()
    body = "".join(pem.strip().splitlines()[1:-1])
    raw = OKPKey.import_key(row.private_key).as_dict(private=True)["d"]
    raw_bytes = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    return [
        pem,
        body,
        raw,
        raw_bytes.hex(),
        base64.b64encode(raw_bytes).decode().rstrip("="),
        repr(raw_bytes)[2:-1],
    ]


def test_private_keys_never_reach_a_log_or_an_answer(  # type: ignore[no-untyped-def]
    org_client, settings, example_bom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    footprint_id = _footprint(org_client, example_bom)
    answers = [
        org_client.get(f"/v1/footprints/{footprint_id}/declaration", headers=JOSE).text,
        org_client.get(f"/v1/footprints/{footprint_id}/report?format=pdf", headers=JOSE).text,
        org_client.post("/v1/signing-keys/rotate").text,
        org_client.get(f"/v1/footprints/{footprint_id}/declaration", headers=JOSE).text,
        org_client.get("/v1/signing-keys").text,
        org_client.get("/.well-known/jwks.json").text,
        org_client.get("/v1/audit").text,
    ]
    rows = _rows(settings, _organisation_id(org_client))
    assert len(rows) == 2  # the app here has no secret: stored as PEM, so we can read them
    assert all(row.encryption == "none" for row in rows)
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert caplog.records  # the requests did log
    for row in rows:
        for secret in _secrets_of(row):
            assert secret not in logged
            assert not any(secret in answer for answer in answers)


def test_keys_are_encrypted_at_rest_with_the_signing_secret(  # type: ignore[no-untyped-def]
    settings, example_bom, caplog: pytest.LogCaptureFixture
) -> None:
    from app.main import create_app

    secret = "correct horse battery staple " + uuid.uuid4().hex
    sealed_settings = settings.model_copy(update={"signing_secret": SecretStr(secret)})
    token = make_organisation(settings, f"sealed {uuid.uuid4().hex[:8]}")
    caplog.set_level(logging.DEBUG)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(sealed_settings), headers=headers) as sealed:
        footprint_id = _footprint(sealed, example_bom)
        signed = sealed.get(f"/v1/footprints/{footprint_id}/declaration", headers=JOSE)
        assert signed.status_code == 200, signed.text
        organisation_id = _organisation_id(sealed)
        assert sealed.post("/v1/verify", json={"jws": signed.text}).status_code == 200
    assert "is not set" not in caplog.text  # no start-up warning with a secret
    assert secret not in caplog.text
    (row,) = _rows(settings, organisation_id)
    assert row.encryption == "fernet"
    assert b"PRIVATE KEY" not in row.private_key
    # A server without the secret (or with another) cannot sign with it: 503, said why.
    for other in (None, SecretStr("another secret " + uuid.uuid4().hex)):
        with TestClient(
            create_app(settings.model_copy(update={"signing_secret": other})), headers=headers
        ) as unsealed:
            refused = unsealed.get(f"/v1/footprints/{footprint_id}/declaration", headers=JOSE)
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "CELLCARBON_SIGNING_SECRET" in refused.json()["detail"]


def test_start_up_warns_once_without_a_secret(settings, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    from app.main import create_app

    caplog.set_level(logging.WARNING, logger="cellcarbon.signing")
    with TestClient(create_app(settings)) as started:
        started.get("/.well-known/jwks.json")
        started.get("/.well-known/jwks.json")
    warnings = [r for r in caplog.records if "CELLCARBON_SIGNING_SECRET" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_another_organisation_cannot_see_or_rotate_our_keys(app, settings, org_client) -> None:  # type: ignore[no-untyped-def]
    ours = org_client.get("/v1/signing-keys").json()["data"][0]["kid"]
    token = make_organisation(settings, f"neighbour {uuid.uuid4().hex[:8]}")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as neighbour:
        missing = neighbour.get(f"/v1/signing-keys/{ours}")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert ours not in {k["kid"] for k in neighbour.get("/v1/signing-keys").json()["data"]}
        theirs = neighbour.post("/v1/signing-keys/rotate").json()["kid"]
    # Their rotation made and retired only their own keys.
    after = {k["kid"]: k["status"] for k in org_client.get("/v1/signing-keys").json()["data"]}
    assert after == {ours: "active"}
    assert theirs not in after


def test_concurrent_first_uses_make_one_key(settings) -> None:  # type: ignore[no-untyped-def]
    """Two transactions that both find no key and both make one: the one-active-key constraint
    keeps the first, the second reads it (no error, one row, one audit row)."""
    import threading

    from app.access.keys import create_organisation
    from app.core.audit import AuditEvent
    from app.core.db import session_scope
    from app.core.repository import OrgRepository
    from app.core.runtime import get_engine
    from app.signing.service import active_key

    engine = get_engine(settings)
    with session_scope(engine) as session:
        organisation, _, _ = create_organisation(session, f"race {uuid.uuid4().hex[:8]}")
        organisation_id = organisation.id
    barrier = threading.Barrier(2)
    kids: list[str] = []
    errors: list[BaseException] = []

    def first_use() -> None:
        try:
            with session_scope(engine) as session:
                repo = OrgRepository(session, organisation_id, "race")
                session.execute(select(AuditEvent.id).limit(1))  # both transactions open
                barrier.wait(timeout=10)
                kids.append(active_key(repo, settings).kid)
        except BaseException as exc:  # reported below, with the thread's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    rows = _rows(settings, str(organisation_id))
    assert len(rows) == 1
    assert kids == [rows[0].kid, rows[0].kid]
    with session_scope(engine) as session:
        audit = session.exec(
            select(AuditEvent).where(
                col(AuditEvent.organisation_id) == organisation_id,
                col(AuditEvent.resource) == "signing_key",
            )
        ).all()
    assert len(audit) == 1
