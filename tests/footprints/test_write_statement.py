"""A footprint's INSERT also reads its BOM's PACT sharing rules and the organisation's webhook
endpoints (app.core.db.Reads): one statement on PostgreSQL where there were three, with the same
effects — the footprint is shared by the rule and announced to the endpoint."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event

from tests.boms.bom_files import example
from tests.webhooks.endpoints import register


def _statements_of(settings: Any, call: Any) -> tuple[Any, list[str]]:
    """``call()`` and the statements the thread that wrote its footprint ran. A job the write
    hands on (a webhook delivery on the job pool) can start before the answer arrives; its own
    reads are not the write's."""
    from app.core.runtime import get_engine

    seen_by_thread: list[tuple[int, str]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen_by_thread.append((threading.get_ident(), " ".join(statement.split())))

    engine = get_engine(settings)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    writers = {thread for thread, s in seen_by_thread if "INSERT INTO footprint" in s}
    return result, [s for thread, s in seen_by_thread if thread in writers]


def test_the_footprint_insert_reads_sharing_rules_and_endpoints(
    org_client: Any, settings: Any, webhook_settings: None, receiver_factory: Any
) -> None:
    receiver = receiver_factory([204])
    register(org_client, receiver.url)
    bom = org_client.post("/v1/boms", json=example("nmc811_pouch")).json()
    customer = org_client.post("/v1/pact/clients", json={"name": "Automaker"}).json()
    rule = org_client.post(
        "/v1/pact/sharing-rules", json={"client_id": customer["id"], "bom_id": bom["id"]}
    )
    assert rule.status_code == 201, rule.text

    response, statements = _statements_of(
        settings, lambda: org_client.post(f"/v1/boms/{bom['id']}/footprints")
    )
    assert response.status_code == 201, response.text
    footprint = response.json()

    inserts = [s for s in statements if "INSERT INTO footprint" in s]
    assert len(inserts) == 1
    separate_reads = [
        s
        for s in statements
        if s.startswith("SELECT") and ("pact_sharing_rule" in s or "webhook_endpoint" in s)
    ]
    if settings.database_url.startswith("postgresql"):
        assert "FROM pact_sharing_rule" in inserts[0] and "FROM webhook_endpoint" in inserts[0]
        assert separate_reads == []
    else:  # one INSERT per row, then the reads
        assert len(separate_reads) == 2

    # The same effects as separate reads: shared by the rule, announced to the endpoint.
    shares = org_client.get(f"/v1/pact/clients/{customer['id']}/shares").json()["data"]
    assert [share["footprint_id"] for share in shares] == [footprint["id"]]
    (received,) = receiver.wait_for(1)
    assert received.json()["data"]["footprint_id"] == footprint["id"]


def test_without_rules_or_endpoints_nothing_is_shared_or_announced(
    org_client: Any, settings: Any
) -> None:
    bom = org_client.post("/v1/boms", json=example("nmc811_pouch")).json()
    response, statements = _statements_of(
        settings, lambda: org_client.post(f"/v1/boms/{bom['id']}/footprints")
    )
    assert response.status_code == 201, response.text
    assert not [s for s in statements if "INSERT INTO pact_share" in s]
    assert not [s for s in statements if "INSERT INTO webhook_delivery" in s]
