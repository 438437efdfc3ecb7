"""Reports rendered by jobs (POST /v1/footprints/{id}/reports) and downloaded from
/v1/reports/{id}: the stored bytes are exactly what the on-request routes render, the ETag is
their SHA-256, and another organisation cannot see them. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_organisation


def _finished(client, job: dict[str, Any], timeout: float = 60) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while job["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"job {job['id']} still {job['status']}"
        time.sleep(0.05)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    return job


def _rendered(client, footprint_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:  # type: ignore[no-untyped-def]
    """The finished job and the download response of a report job."""
    response = client.post(f"/v1/footprints/{footprint_id}/reports", json=body)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert (job["kind"], job["subject_id"]) == ("report.render", footprint_id)
    job = _finished(client, job)
    assert job["status"] == "succeeded", job["error"]
    download = client.get(job["result"]["url"])
    assert download.status_code == 200, download.text
    return job, download


@pytest.mark.parametrize(
    ("body", "query"),
    [
        ({"format": "json"}, {"format": "json"}),
        ({"format": "csv"}, {"format": "csv"}),
        (
            {"format": "csv", "application": "ev_l", "service_years": 12},
            {"format": "csv", "application": "ev_l", "service_years": 12},
        ),
        ({"format": "json", "kind": "declaration"}, {"format": "json"}),
        (
            {"format": "pdf", "kind": "declaration", "not_assessed": ["distribution"]},
            {"format": "pdf", "not_assessed": "distribution"},
        ),
    ],
    ids=["json", "csv", "csv-ev_l-12y", "declaration-json", "declaration-pdf-partial"],
)
def test_the_stored_report_is_the_on_request_rendering(
    client, four_stage_footprint, body, query
) -> None:  # type: ignore[no-untyped-def]
    footprint_id = four_stage_footprint["id"]
    job, download = _rendered(client, footprint_id, body)
    route = "declaration" if body.get("kind") == "declaration" else "report"
    expected = client.get(f"/v1/footprints/{footprint_id}/{route}", params=query)
    assert expected.status_code == 200
    assert download.content == expected.content
    assert download.headers["content-type"] == expected.headers["content-type"]
    digest = hashlib.sha256(download.content).hexdigest()
    result = job["result"]
    assert result == {
        "report_id": result["report_id"],
        "footprint_id": footprint_id,
        "kind": body.get("kind", "report"),
        "format": body["format"],
        "url": f"/v1/reports/{result['report_id']}",
        "sha256": digest,
        "size": len(download.content),
        "media_type": download.headers["content-type"],
    }
    assert download.headers["etag"] == f'"{digest}"'


def test_pdf_download_and_conditional_get(client, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    job, download = _rendered(client, four_stage_footprint["id"], {})  # default: report, pdf
    assert download.headers["content-type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")
    assert download.headers["content-disposition"] == (
        f'attachment; filename="report-{four_stage_footprint["id"]}.pdf"'
    )
    etag = download.headers["etag"]
    again = client.get(job["result"]["url"], headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get(job["result"]["url"], headers={"If-None-Match": '"0000"'})
    assert other.status_code == 200 and other.content == download.content


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "declaration", "format": "csv"}, 422),
        (
            {"kind": "declaration", "format": "pdf", "not_assessed": ["main_product_production"]},
            422,
        ),
        ({"kind": "report", "format": "pdf", "not_assessed": ["distribution"]}, 422),
        ({"format": "docx"}, 422),
        ({"application": "bicycle"}, 422),
        ({"service_years": 0}, 422),
        ({"colour": "red"}, 422),
    ],
)
def test_bad_requests_are_refused_before_a_job_exists(
    client, four_stage_footprint, body, status
) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"/v1/footprints/{four_stage_footprint['id']}/reports", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_unknown_footprint_and_report_are_404(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post(f"/v1/footprints/{uuid.uuid4()}/reports", json={}).status_code == 404
    assert client.get(f"/v1/reports/{uuid.uuid4()}").status_code == 404
    assert (
        client.get("/v1/reports/comparison", params={"ids": str(uuid.uuid4())}).status_code == 404
    )


def test_another_organisation_cannot_download_it(
    app, settings, client, four_stage_footprint
) -> None:  # type: ignore[no-untyped-def]
    job, _ = _rendered(client, four_stage_footprint["id"], {"format": "json"})
    token = make_organisation(settings, f"report thief {uuid.uuid4().hex[:8]}")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as other:
        response = other.get(job["result"]["url"])
        assert response.status_code == 404
        assert other.get(f"/v1/jobs/{job['id']}").status_code == 404


def test_an_idempotent_retry_starts_no_second_job(client, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    url = f"/v1/footprints/{four_stage_footprint['id']}/reports"
    headers = {"Idempotency-Key": f"report-{uuid.uuid4()}"}
    first = client.post(url, json={"format": "csv"}, headers=headers)
    second = client.post(url, json={"format": "csv"}, headers=headers)
    assert first.status_code == second.status_code == 202
    assert second.headers["idempotent-replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
