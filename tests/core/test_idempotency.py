"""Idempotency-Key: a retried POST gets the original response and creates nothing more."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest

from tests.boms.bom_files import HEADER, csv_bytes, example, metadata, table_rows


def _bom_count(client: Any) -> int:
    return int(client.get("/v1/boms").json()["count"])


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_a_retried_post_returns_the_original_response_and_stores_one_bom(
    org_client: Any,
) -> None:
    key = _key()
    first = org_client.post("/v1/boms", json=example("nmc811_pouch"), headers=key)
    retry = org_client.post("/v1/boms", json=example("nmc811_pouch"), headers=key)
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _bom_count(org_client) == 1


def test_the_same_key_with_another_body_is_422(org_client: Any) -> None:
    key = _key()
    assert org_client.post("/v1/boms", json=example("nmc811_pouch"), headers=key).is_success
    response = org_client.post("/v1/boms", json=example("lfp_prismatic"), headers=key)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    other_route = org_client.post("/v1/suppliers", json={"name": "x"}, headers=key)
    assert other_route.status_code == 422
    assert _bom_count(org_client) == 1


def test_a_failed_request_is_not_stored_so_the_key_can_be_retried(org_client: Any) -> None:
    key = _key()
    broken = example("nmc811_pouch")
    broken["lines"][0]["amount"] = "330.9 bananas"
    assert org_client.post("/v1/boms", json=broken, headers=key).status_code == 422
    fixed = org_client.post("/v1/boms", json=example("nmc811_pouch"), headers=key)
    assert fixed.status_code == 201
    assert "idempotent-replayed" not in fixed.headers


def test_footprints_are_idempotent_too(org_client: Any) -> None:
    bom = org_client.post("/v1/boms", json=example("nmc811_pouch")).json()
    key = _key()
    first = org_client.post(f"/v1/boms/{bom['id']}/footprints", headers=key)
    retry = org_client.post(f"/v1/boms/{bom['id']}/footprints", headers=key)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]


def test_an_upload_retried_with_a_new_multipart_boundary_is_the_same_request(
    org_client: Any,
) -> None:
    """httpx (like curl and browsers) draws a new boundary for each request."""
    bom = example("nmc811_pouch")
    key = _key()
    responses = [
        org_client.post(
            "/v1/boms/import",
            files={"file": ("bom.csv", csv_bytes(HEADER, table_rows(bom)), "text/csv")},
            data={"metadata": metadata(bom)},
            headers=key,
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[1].headers.get("idempotent-replayed") == "true"
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert _bom_count(org_client) == 1


def test_keys_are_scoped_to_the_organisation(org_client: Any, client: Any) -> None:
    key = _key()
    mine = org_client.post("/v1/boms", json=example("nmc811_pouch"), headers=key)
    theirs = client.post("/v1/boms", json=example("lfp_prismatic"), headers=key)
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers


def _race(client: Any, key: dict[str, str]) -> list[tuple[int, str | None]]:
    """POST one BOM twice with ``key``, both requests released at the same instant."""
    barrier = threading.Barrier(2)
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def post() -> None:
        barrier.wait()
        response = client.post("/v1/boms", json=example("nmc811_pouch"), headers=key)
        body_id = response.json().get("id") if response.status_code == 201 else None
        with lock:
            results.append((response.status_code, body_id))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(results)


def test_two_concurrent_requests_with_one_key_create_one_bom(org_client: Any) -> None:
    """Both requests start together; the unique (organisation, key) lets one run. The other
    gets 409 (still running) or, if it arrives after, the stored response."""
    rounds = 4
    outcomes = [_race(org_client, _key()) for _ in range(rounds)]
    assert _bom_count(org_client) == rounds
    for results in outcomes:
        statuses = [status for status, _ in results]
        assert statuses in ([201, 201], [201, 409]), results
        assert len({body_id for _, body_id in results if body_id}) == 1


@pytest.fixture
def short_ttl(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys kept 50 ms, on the settings object the test app's middleware reads."""
    monkeypatch.setattr(settings, "idempotency_ttl_hours", 0.05 / 3600)


def test_an_expired_key_may_be_used_again(org_client: Any, short_ttl: None) -> None:
    key = _key()
    assert org_client.post("/v1/boms", json=example("nmc811_pouch"), headers=key).is_success
    time.sleep(0.1)
    again = org_client.post("/v1/boms", json=example("lfp_prismatic"), headers=key)
    assert again.status_code == 201
    assert _bom_count(org_client) == 2


@pytest.mark.parametrize("value", ["", " padded ", "x" * 256, "tab\tinside"])
def test_malformed_keys_are_400(org_client: Any, value: str) -> None:
    response = org_client.post(
        "/v1/boms", json=example("nmc811_pouch"), headers={"Idempotency-Key": value}
    )
    assert response.status_code == 400
    assert _bom_count(org_client) == 0


def test_without_a_valid_api_key_the_route_answers_as_usual(org_client: Any) -> None:
    response = org_client.post(
        "/v1/boms",
        json=example("nmc811_pouch"),
        headers={**_key(), "Authorization": "Bearer cc_nope"},
    )
    assert response.status_code == 401
