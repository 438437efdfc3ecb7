"""No secret reaches a log line. A real `cellcarbon serve` writes its log to a file while it is
provoked with every kind of error a client can cause — control characters in every kind of name,
unknown and wrong API keys, a statement the database refuses (on PostgreSQL), PACT credentials
over plain HTTP — and with requests that create secrets (API keys, webhook signing secrets, a
webhook delivery that fails). Then the log is searched for each API key, each key's salt and
hash, and each signing secret. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from tests.boms.bom_files import HEADER, csv_bytes, example, table_rows
from tests.conftest import make_organisation
from tests.e2e.test_idempotency_crash import _kill, _serve
from tests.servers import free_port

NUL = "\x00"
MARKER = f"leakcheck{uuid.uuid4().hex[:8]}"  # a value only ever sent inside failing requests


def _provoke(http: httpx.Client, token: str, settings: Any) -> list[str]:
    """Every error we can cause, and the secrets created on the way."""
    secrets: list[str] = []
    key = http.post("/v1/api-keys", json={"name": "log check", "scopes": ["read"]})
    assert key.status_code == 201, key.text
    secrets.append(key.json()["token"])
    hook = http.post(
        "/v1/webhooks",
        json={"url": "https://127.0.0.1:9/hook", "event_types": ["footprint.completed"]},
    )
    assert hook.status_code == 201, hook.text
    secrets.append(hook.json()["secret"])

    bom = example("nmc811_pouch")
    refused = [
        http.post("/v1/boms", json={**bom, "name": f"{MARKER}{NUL}"}),
        http.post("/v1/suppliers", json={"name": f"{MARKER}{NUL}", "country": "KR"}),
        http.post("/v1/api-keys", json={"name": f"{MARKER}{NUL}", "scopes": ["read"]}),
        http.post(
            "/v1/webhooks",
            json={
                "url": f"https://127.0.0.1:9/{MARKER}",
                "event_types": ["footprint.completed"],
                "description": f"{MARKER}{NUL}",
            },
        ),
    ]
    assert [r.status_code for r in refused] == [422] * 4
    prefix = token.split("_")[1]
    for authorization in (
        f"Bearer cc_{prefix}_{'x' * 43}",
        "Bearer cc_nonsense",
        "Basic Zm9vOmJhcg==",
    ):
        assert http.get("/v1/boms", headers={"Authorization": authorization}).status_code == 401
    # A NUL inside the JSON metadata part of an upload: refused with its place, on both engines.
    metadata = {key: value for key, value in bom.items() if key != "lines"}
    metadata["name"] = f"{MARKER}{NUL}"
    upload = http.post(
        "/v1/boms/import",
        files={"file": ("bom.csv", csv_bytes(HEADER, table_rows(bom)), "text/csv")},
        data={"metadata": json.dumps(metadata)},
    )
    assert upload.status_code == 422, upload.text
    assert upload.json()["errors"][0]["loc"] == ["metadata", "name"]
    pact = http.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=("client", MARKER),
        headers={"X-Forwarded-Proto": "https"},
    )
    assert pact.status_code == 403  # plain HTTP, whatever a loopback client claims
    # A footprint announced to the webhook, whose delivery fails (nothing listens on port 9).
    created = http.post("/v1/boms", json=bom)
    assert http.post(f"/v1/boms/{created.json()['id']}/footprints").status_code == 201
    return secrets


def test_the_log_holds_no_secret(settings: Any, tmp_path: Path) -> None:
    from app.core.runtime import get_engine

    token = make_organisation(settings, f"log check {uuid.uuid4().hex[:8]}")
    port = free_port()
    log = tmp_path / "server.log"
    server = _serve(settings, port, log, {"CELLCARBON_WEBHOOK_ALLOW_PRIVATE": "true"})
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as http:
            secrets = [token, *_provoke(http, token, settings)]
            time.sleep(1.0)  # the webhook delivery's first attempt fails and is logged
    finally:
        _kill(server)
    with get_engine(settings).connect() as connection:
        for salt, digest in connection.execute(text("SELECT salt, secret_sha256 FROM api_key")):
            secrets += [salt, digest]
        secrets += [
            row[0] for row in connection.execute(text("SELECT secret FROM webhook_endpoint"))
        ]
    written = log.read_text(errors="replace")
    assert "cellcarbon.access" in written  # the log was written at all
    for secret in secrets:
        assert secret not in written
        if secret.startswith("cc_"):  # an API key cc_<prefix>_<secret>: nor its secret alone
            assert secret.split("_", 2)[2] not in written
    assert MARKER not in written
