"""Stored OPC UA sources pulled by a periodic job, against a real asyncua server on loopback."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.plants.test_opcua_cli import _free_port, _serve

PLANT = {
    "site": "OPC UA plant",
    "grid_region": "US-SRTV",
    "time_zone": "UTC",
    "lines": [{"line_id": "L1"}],
    "meters": [{"meter_id": "main", "carrier": "electricity", "scope": "plant"}],
}


def _node(node_id: str) -> dict[str, str]:
    return {"meter_id": "main", "node_id": node_id, "unit": "kWh"}


def _job(client: Any, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job = client.get(f"/v1/jobs/{job_id}").json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(f"/v1/jobs/{job_id}").json()
    return dict(job)


def test_a_stored_source_is_pulled_and_the_next_pull_queued(org_client, settings) -> None:  # type: ignore[no-untyped-def]
    """The server holds 4 + 5 + 6 + 5 kWh in the quarter hours from 2026-03-02T00:00Z (and the
    variable's first value, 0, from when it started). A source reading from 2026-03-01T23:59Z
    pulls them all at once: 20 kWh in the hour from 00:00; the next pull waits `interval_s`
    (queued, due later) and resumes where this one ended."""
    from sqlmodel import select

    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.plants.models import MeterHourly, PlantMeter

    plant = org_client.post("/v1/plants", json=PLANT).json()
    port, state = _free_port(), {}
    ready, stop = threading.Event(), threading.Event()
    server = threading.Thread(target=_serve, args=(port, state, ready, stop), daemon=True)
    server.start()
    try:
        assert ready.wait(30)
        created = org_client.post(
            f"/v1/plants/{plant['id']}/opcua-sources",
            json={
                "url": f"opc.tcp://127.0.0.1:{port}/cli-test/",
                "nodes": [_node(f"ns={state['index']};s=main")],
                "interval_s": 3600,
                "reading_interval_s": 900,
                "start": "2026-03-01T23:59:00Z",
            },
        )  # fmt: skip
        assert created.status_code == 201, created.text
        source = created.json()
        first = _job(org_client, source["next_job_id"])
    finally:
        stop.set()
        server.join(10)
    assert first["status"] == "succeeded", first
    assert first["result"]["values_stored"] == 5 and "error" not in first["result"]
    with session_scope(get_engine(settings)) as session:
        hours = session.exec(
            select(MeterHourly.hour, MeterHourly.value).where(
                MeterHourly.meter_key.in_(
                    select(PlantMeter.meter_key).where(
                        PlantMeter.plant_id == uuid.UUID(plant["id"])
                    )
                )
            )
        ).all()
    by_hour = dict(hours)
    assert by_hour[int(datetime(2026, 3, 2, tzinfo=UTC).timestamp()) // 3600] == 20.0
    assert sum(by_hour.values()) == 20.0
    now = org_client.get(f"/v1/plants/{plant['id']}/opcua-sources/{source['id']}").json()
    assert now["last_error"] == ""
    assert now["pulled_until"] > "2026-12-01"  # up to the time of the pull
    assert now["next_job_id"] not in (None, source["next_job_id"])
    following = org_client.get(f"/v1/jobs/{now['next_job_id']}").json()
    assert following["status"] == "queued"
    due = datetime.fromisoformat(following["run_after"].replace("Z", "+00:00"))
    assert 3000 < (due - datetime.now(UTC)).total_seconds() <= 3600
    assert (
        org_client.delete(f"/v1/plants/{plant['id']}/opcua-sources/{source['id']}").status_code
        == 204
    )
    assert org_client.get(f"/v1/plants/{plant['id']}/opcua-sources").json()["count"] == 0


def test_an_unreachable_source_keeps_its_password_out_of_answers_and_logs(  # type: ignore[no-untyped-def]
    org_client, caplog
) -> None:
    """A closed loopback port: the pull fails, the source says why without the URL's user and
    password, and the next pull is queued all the same. Bad sources are refused at once."""
    plant = org_client.post("/v1/plants", json=PLANT).json()
    secret = f"pw-{uuid.uuid4().hex}"
    url = f"opc.tcp://meter-reader:{secret}@127.0.0.1:{_free_port()}/closed/"
    with caplog.at_level(logging.DEBUG):
        created = org_client.post(
            f"/v1/plants/{plant['id']}/opcua-sources",
            json={"url": url, "nodes": [_node("ns=2;s=main")]},
        )
        assert created.status_code == 201, created.text
        source = created.json()
        job = _job(org_client, source["next_job_id"])
        after = org_client.get(f"/v1/plants/{plant['id']}/opcua-sources/{source['id']}")
        audit = org_client.get("/v1/audit", params={"limit": 200})
    assert job["status"] == "succeeded" and "cannot reach" in job["result"]["error"]
    assert after.json()["last_error"].startswith("cannot reach opc.tcp://127.0.0.1:")
    assert after.json()["next_job_id"] != source["next_job_id"]
    for text in (created.text, after.text, str(job), audit.text, caplog.text):
        assert secret not in text and "meter-reader" not in text
    assert source["endpoint"].startswith("opc.tcp://127.0.0.1:")

    bad = org_client.post(
        f"/v1/plants/{plant['id']}/opcua-sources",
        json={"url": "http://127.0.0.1/", "nodes": [{**_node("x"), "meter_id": "nope"}]},
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert {tuple(map(str, e["loc"])) for e in bad.json()["errors"]} == {
        ("body", "url"),
        ("body", "nodes", "0", "meter_id"),
    }
    assert org_client.get(f"/v1/plants/{plant['id']}/opcua-sources").json()["count"] == 1
