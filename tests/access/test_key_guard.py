"""A footprint POST checks its key in its INSERT (app.access.key_guard): a key revoked or
expired elsewhere is refused on the very next request, which stores nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import DateTime, bindparam, text

ROOT = Path(__file__).resolve().parents[2]


def _revoke_in_another_process(settings, admin_token: str, key_id: str) -> None:  # type: ignore[no-untyped-def]
    """DELETE the key through a second app instance, in a process of its own (so nothing this
    process remembers about the key is touched)."""
    script = textwrap.dedent(
        f"""
        from fastapi.testclient import TestClient
        from app.core.settings import Settings
        from app.main import create_app
        app = create_app(Settings(database_url={settings.database_url!r},
                                  brightway_dir={str(settings.brightway_dir)!r}))
        client = TestClient(app, headers={{"Authorization": "Bearer {admin_token}"}})
        response = client.delete("/v1/api-keys/{key_id}")
        assert response.status_code == 204, response.text
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT, timeout=120)


def _footprints_of(settings, bom_id: str) -> int:  # type: ignore[no-untyped-def]
    from app.core.runtime import get_engine

    with get_engine(settings).connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM footprint WHERE bom_id = :bom"),
                {"bom": uuid.UUID(bom_id).hex if "sqlite" in settings.database_url else bom_id},
            ).scalar_one()
        )


@pytest.fixture
def writer(app, client):  # type: ignore[no-untyped-def]
    """A write key of the test organisation, its client and a stored BOM it has priced once
    (so that this process remembers the key)."""
    key = client.post("/v1/api-keys", json={"name": "writer", "scopes": ["write"]}).json()
    with TestClient(app, headers={"Authorization": f"Bearer {key['token']}"}) as writing:
        bom = writing.post("/v1/boms", json=_example()).json()
        assert writing.post(f"/v1/boms/{bom['id']}/footprints").status_code == 201
        assert writing.post(f"/v1/boms/{bom['id']}/footprints").status_code == 201
        yield key, writing, bom


def _example():  # type: ignore[no-untyped-def]
    import json

    return json.loads((ROOT / "data" / "examples" / "nmc811_pouch.json").read_text())


def test_revocation_by_another_process_holds_at_once(settings, admin_token, writer) -> None:  # type: ignore[no-untyped-def]
    key, writing, bom = writer
    stored = _footprints_of(settings, bom["id"])
    assert stored == 2
    _revoke_in_another_process(settings, admin_token, key["id"])
    refused = writing.post(f"/v1/boms/{bom['id']}/footprints")
    assert refused.status_code == 401, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "revoked" in refused.json()["detail"]
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert _footprints_of(settings, bom["id"]) == stored
    # Every later request too, and a route's own error does not hide the 401.
    assert writing.post(f"/v1/boms/{uuid.uuid4()}/footprints").status_code == 401
    assert writing.post(f"/v1/boms/{bom['id']}/footprints").status_code == 401
    assert _footprints_of(settings, bom["id"]) == stored


def test_a_key_that_expired_since_it_was_remembered_is_refused(settings, writer) -> None:  # type: ignore[no-untyped-def]
    from app.core.runtime import get_engine

    key, writing, bom = writer
    with get_engine(settings).begin() as connection:
        connection.execute(
            text("UPDATE api_key SET expires_at = :past WHERE prefix = :prefix").bindparams(
                bindparam("past", type_=DateTime(timezone=True))
            ),
            {"past": datetime.now(UTC) - timedelta(seconds=1), "prefix": key["token"][3:15]},
        )
    refused = writing.post(f"/v1/boms/{bom['id']}/footprints")
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]
    assert _footprints_of(settings, bom["id"]) == 2


def test_a_revoked_key_gets_401_not_the_routes_own_error(app, client, writer) -> None:  # type: ignore[no-untyped-def]
    """A request that fails before any guarded write reads the key before it answers."""
    key, writing, bom = writer
    assert client.delete(f"/v1/api-keys/{key['id']}").status_code == 204
    unknown = writing.post(f"/v1/boms/{uuid.uuid4()}/footprints")
    assert unknown.status_code == 401 and "revoked" in unknown.json()["detail"]
    # wait=false writes a job, not a guarded footprint: the key is read before the answer.
    queued = writing.post(f"/v1/boms/{bom['id']}/footprints", params={"wait": "false"})
    assert queued.status_code == 401


def test_a_remembered_key_costs_no_query_of_its_own(settings, writer) -> None:  # type: ignore[no-untyped-def]
    """The key is read by the footprint's INSERT, not by a SELECT before it."""
    from sqlalchemy import event

    from app.core.runtime import get_engine

    _, writing, bom = writer
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = get_engine(settings)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert writing.post(f"/v1/boms/{bom['id']}/footprints").status_code == 201
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "api_key" in s]
    assert reads == []
    assert any("INSERT INTO footprint" in s and "api_key" in s for s in statements)
