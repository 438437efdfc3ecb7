"""DELETE /v1/backgrounds/{id}: refused while footprints reference it, audited, the row gone at
once and the files (and the resident engine) after commit unless another organisation registers
the same version; another organisation gets 404. And the footprint body's ``background``."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.backgrounds.helpers import (
    BOM_KG_CO2E,
    map_small_bom,
    own_release,
    small_bom,
    wait_for_job,
)
from tests.conftest import make_organisation

PROBLEM = "application/problem+json"


def _import(client: TestClient, name: str, release: str | None = None) -> str:
    response = client.post(
        "/v1/backgrounds",
        files={"file": ("release.zip", own_release(release or name), "application/zip")},
        params={"name": name},
    )
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json())
    assert job["status"] == "succeeded", job
    return str(job["result"]["background_id"])


def _map(client: TestClient, background: str, bom: str) -> None:
    missing = client.post(f"/v1/boms/{bom}/footprints", params={"background": background})
    assert missing.status_code == 422, missing.text
    units = {m["code"]: m["unit"] for m in client.get("/v1/materials").json()["data"]}
    plant = {e["loc"][-1] for e in missing.json()["errors"]}
    electricity = next(c for c in plant if units.get(c) == "kWh")
    heat = next(c for c in plant if units.get(c) == "MJ")
    assert map_small_bom(client, background, electricity, heat).status_code == 200


@pytest.fixture(scope="module")
def bom(client: TestClient) -> str:
    return str(client.post("/v1/boms", json=small_bom("deletion test cell")).json()["id"])


def _deletions(client: TestClient, background: str) -> list[dict[str, Any]]:
    events = client.get("/v1/audit", params={"limit": 200}).json()["data"]
    return [
        e
        for e in events
        if (e["action"], e["resource"], e["resource_id"]) == ("delete", "background", background)
    ]


def test_delete_is_refused_while_footprints_reference_it(
    client: TestClient, settings: Any, bom: str
) -> None:
    background = _import(client, "referenced")
    _map(client, background, bom)
    made = client.post(f"/v1/boms/{bom}/footprints", params={"background": background})
    assert made.status_code == 201, made.text
    refused = client.delete(f"/v1/backgrounds/{background}")
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert refused.json()["errors"] == [
        {"loc": ["path", "background_id"], "msg": "referenced by 1 footprint", "type": "conflict"}
    ]
    assert client.get(f"/v1/backgrounds/{background}").status_code == 200
    version = client.get(f"/v1/backgrounds/{background}").json()["version"]
    assert (settings.backgrounds_root / version).is_dir()
    assert _deletions(client, background) == []
    # Still computable and its footprint still readable.
    footprint = client.get(f"/v1/footprints/{made.json()['id']}")
    assert footprint.json()["background"]["id"] == background


def test_another_organisation_cannot_delete_it(
    app: Any, settings: Any, client: TestClient, bom: str
) -> None:
    background = client.get("/v1/backgrounds", params={"limit": 100}).json()["data"][0]["id"]
    token = make_organisation(settings, f"other {uuid.uuid4().hex[:8]}")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as other:
        answer = other.delete(f"/v1/backgrounds/{background}")
        assert answer.status_code == 404, answer.text
        assert answer.headers["content-type"].startswith(PROBLEM)
    assert client.get(f"/v1/backgrounds/{background}").status_code == 200


def test_delete_removes_row_files_and_engine_and_is_audited(
    app: Any, settings: Any, client: TestClient, bom: str
) -> None:
    from app.backgrounds.engines import resident

    # Another organisation registers the same bytes: the files are shared by version.
    token = make_organisation(settings, f"sharer {uuid.uuid4().hex[:8]}")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as other:
        theirs = _import(other, "shared by version", "shared")
        mine = _import(client, "to delete", "shared")
        version = client.get(f"/v1/backgrounds/{mine}").json()["version"]
        assert other.get(f"/v1/backgrounds/{theirs}").json()["version"] == version
        suggestions = f"/v1/backgrounds/{mine}/mapping/suggestions?materials=copper_foil"
        assert client.get(suggestions).status_code == 200  # the engine is resident now
        assert version in resident(settings).versions

        # Mine deleted: their row keeps the files and the engine.
        deleted = client.delete(f"/v1/backgrounds/{mine}")
        assert deleted.status_code == 204, deleted.text
        assert client.get(f"/v1/backgrounds/{mine}").status_code == 404
        listed = client.get("/v1/backgrounds", params={"limit": 100}).json()["data"]
        assert mine not in {b["id"] for b in listed}
        [event] = _deletions(client, mine)
        assert event["details"]["version"] == version
        assert (settings.backgrounds_root / version).is_dir()
        assert other.get(f"/v1/backgrounds/{theirs}/mapping").status_code == 200

        # Theirs deleted too: the files and the resident engine go.
        assert other.delete(f"/v1/backgrounds/{theirs}").status_code == 204
        assert not (settings.backgrounds_root / version).exists()
        assert version not in resident(settings).versions
        assert other.delete(f"/v1/backgrounds/{theirs}").status_code == 404

    # Imported again, it is built afresh and computes.
    again = _import(client, "imported again", "shared")
    _map(client, again, bom)
    made = client.post(f"/v1/boms/{bom}/footprints", params={"background": again})
    assert made.status_code == 201, made.text
    assert made.json()["kg_co2e_per_cell"] == pytest.approx(BOM_KG_CO2E, rel=1e-7)


def test_the_background_may_be_given_in_the_body(client: TestClient, bom: str) -> None:
    background = _import(client, "given in the body")
    _map(client, background, bom)
    in_body = client.post(f"/v1/boms/{bom}/footprints", json={"background": background})
    assert in_body.status_code == 201, in_body.text
    assert in_body.json()["background"]["id"] == background
    assert in_body.json()["kg_co2e_per_cell"] == pytest.approx(BOM_KG_CO2E, rel=1e-7)
    both = client.post(
        f"/v1/boms/{bom}/footprints",
        params={"background": background},
        json={"background": background},
    )
    assert both.status_code == 201, both.text
    other = str(uuid.uuid4())
    differ = client.post(
        f"/v1/boms/{bom}/footprints", params={"background": other}, json={"background": background}
    )
    assert differ.status_code == 422
    assert differ.headers["content-type"].startswith(PROBLEM)
    assert [e["loc"] for e in differ.json()["errors"]] == [
        ["query", "background"],
        ["background"],  # a body field, named as in validation errors
    ]
    bad = client.post(f"/v1/boms/{bom}/footprints", json={"background": "not an id"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["background"]
    # With the body's stages on an imported background: refused as with ?background=.
    stages = client.post(
        f"/v1/boms/{bom}/footprints", json={"background": background, "distribution": {}}
    )
    assert stages.status_code == 422


def test_a_footprint_being_stored_holds_off_a_delete(
    client: TestClient, settings: Any, database_url: str
) -> None:
    """On PostgreSQL a footprint being stored share-locks its background: a DELETE waits for
    that transaction (and would then count the footprint); here the footprint's transaction
    rolls back, and the DELETE goes through."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; the share lock is PostgreSQL's")
    import threading

    from sqlmodel import Session

    from app.backgrounds.models import ImportedBackground
    from app.backgrounds.removal import hold
    from app.core.repository import OrgRepository
    from app.core.runtime import get_engine

    background = _import(client, "locked")
    answers: dict[str, int] = {}
    with Session(get_engine(settings)) as session:
        row = session.get(ImportedBackground, uuid.UUID(background))
        assert row is not None
        hold(OrgRepository(session, row.organisation_id, "test"), row)
        deleting = threading.Thread(
            target=lambda: answers.update(
                status=client.delete(f"/v1/backgrounds/{background}").status_code
            )
        )
        deleting.start()
        deleting.join(1.0)
        assert deleting.is_alive() and not answers  # waiting for the lock
        session.rollback()
    deleting.join(30)
    assert answers == {"status": 204}
