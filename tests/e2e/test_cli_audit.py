"""The CLI's changes are audited like the API's: `org create`, `org key`, `pact client create`
and `pact share`, run as real subprocesses against the SQLite and PostgreSQL test databases."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.servers import run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "examples" / "nmc811_pouch.json"


def _cellcarbon(settings: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "CELLCARBON_DATABASE_URL": settings.database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(settings.brightway_dir),
    }
    return run_cli(*args, env=env)


def _audit(settings: Any, organisation_id: uuid.UUID) -> list[tuple[str, str, str, str]]:
    from app.core.audit import AuditEvent
    from app.core.runtime import get_engine

    columns = (AuditEvent.actor, AuditEvent.action, AuditEvent.resource, AuditEvent.resource_id)
    with get_engine(settings).connect() as connection:
        rows = connection.execute(
            select(*columns)  # type: ignore[call-overload]
            .where(AuditEvent.organisation_id == organisation_id)
            .order_by(AuditEvent.id)
        ).all()
    return [tuple(row) for row in rows]


def test_cli_organisation_key_pact_client_and_share_are_audited(app, settings) -> None:  # type: ignore[no-untyped-def]
    import json

    name = f"cli organisation {uuid.uuid4().hex[:8]}"
    created = _cellcarbon(settings, "org", "create", name)
    assert created.returncode == 0, created.stderr
    organisation_id = uuid.UUID(re.search(r"\(([0-9a-f-]{36})\)", created.stdout)[1])  # type: ignore[index]
    token = re.search(r"shown once\): (\S+)", created.stdout)[1]  # type: ignore[index]
    assert [row[1:3] for row in _audit(settings, organisation_id)] == [
        ("create", "organisation"),
        ("create", "api_key"),
    ]

    key = _cellcarbon(settings, "org", "key", name, "--scopes", "read")
    assert key.returncode == 0, key.stderr
    assert _audit(settings, organisation_id)[-1][:3] == ("cli", "create", "api_key")

    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        bom = client.post("/v1/boms", json=json.loads(EXAMPLE.read_text())).json()
        footprint = client.post(f"/v1/boms/{bom['id']}/footprints").json()
    pact_client = _cellcarbon(
        settings, "pact", "client", "create", "--name", f"buyer {name}", "--organisation", name
    )
    assert pact_client.returncode == 0, pact_client.stderr
    client_id = re.search(r"client_id: (\S+)", pact_client.stdout)[1]  # type: ignore[index]
    shared = _cellcarbon(
        settings, "pact", "share", "--client", client_id, "--footprint", footprint["id"]
    )
    assert shared.returncode == 0, shared.stderr
    rows = _audit(settings, organisation_id)
    assert ("cli", "create", "pact_client", client_id) in rows
    assert any(row[:3] == ("cli", "create", "pact_share") for row in rows)
