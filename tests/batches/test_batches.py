"""POST /v1/footprints/batch: every variant's figures equal the single footprint of that
variant (POST /v1/boms/{id}/footprints, /scenarios) to 1e-12; an invalid variant gets its own
problem line while the others are priced; a malformed batch is a 422 that stores nothing."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from app.example_loader import bom_with_suppliers, footprint_of, post_supply_chain

ROOT = Path(__file__).resolve().parents[2]
CHAIN = json.loads((ROOT / "data/examples/suppliers/nmc811_supply_chain.json").read_text())
PROBLEM = "application/problem+json"
NDJSON = "application/x-ndjson"


def _lines(response) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(NDJSON)
    assert response.text.endswith("\n")
    return [json.loads(line) for line in response.text.splitlines()]


def _audit_count(client) -> int:  # type: ignore[no-untyped-def]
    return int(client.get("/v1/audit", params={"limit": 1}).json()["count"])


@pytest.fixture
def stored_example(org_client, example_bom) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    created = org_client.post("/v1/boms", json=example_bom)
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_scenario_variants_equal_the_scenarios_route(org_client, stored_example) -> None:  # type: ignore[no-untyped-def]
    """Grid region, substitution, recycled content and their mix, each priced by the batch
    and by POST /v1/boms/{id}/scenarios: the same kg CO2e per cell to 1e-12."""
    changes = [
        {},
        {"grid_region": "CN"},
        {"grid_region": "SE"},
        {"substitutions": {"graphite_synthetic_cn": "graphite_natural_cn"}},
        {"recycled_share": {"Ni": 0.3, "Co": 0.5}},
        {"grid_region": "DE", "recycled_share": {"Li": 0.1}},
    ]
    batch = org_client.post(
        "/v1/footprints/batch",
        json={
            "bom_id": stored_example["id"],
            "variants": [{"key": f"v{n}", **change} for n, change in enumerate(changes)],
        },
    )
    results = _lines(batch)
    assert [r["key"] for r in results] == [f"v{n}" for n in range(len(changes))]
    single = org_client.post(
        f"/v1/boms/{stored_example['id']}/scenarios",
        json={"scenarios": [{"name": f"v{n}", **c} for n, c in enumerate(changes)]},
    )
    assert single.status_code == 200, single.text
    for result, expected in zip(results, single.json()["scenarios"], strict=True):
        assert result["kg_co2e_per_cell"] == pytest.approx(expected["kg_co2e_per_cell"], rel=1e-12)
        assert result["kg_co2e_per_kwh"] == pytest.approx(expected["kg_co2e_per_kwh"], rel=1e-12)
        # No supplier data: market-based equals location-based.
        assert result["kg_co2e_per_cell_market_based"] == pytest.approx(
            result["kg_co2e_per_cell"], rel=1e-12
        )
    # The baseline variant is the BOM's own footprint, with its largest line first.
    footprint = org_client.post(f"/v1/boms/{stored_example['id']}/footprints").json()
    assert results[0]["kg_co2e_per_cell"] == pytest.approx(footprint["kg_co2e_per_cell"], rel=1e-12)
    assert results[0]["kg_co2e_per_cell_gwp20"] == pytest.approx(
        footprint["kg_co2e_per_cell_gwp20"], rel=1e-12
    )
    largest = max(footprint["lines"], key=lambda line: abs(line["kg_co2e"]))
    assert results[0]["top"][0]["label"] == largest["label"]
    assert results[0]["top"][0]["kg_co2e"] == pytest.approx(largest["kg_co2e"], rel=1e-12)
    assert len(results[0]["top"]) == 5


def test_supplier_swaps_and_whole_boms_equal_single_footprints(
    org_client, stored_example, example_bom
) -> None:  # type: ignore[no-untyped-def]
    """A supplier swap is the footprint of the BOM whose lines name that supplier, location-
    AND market-based; a whole-BOM variant (its supplier lines included) is that BOM's own
    footprint."""
    ids = post_supply_chain(org_client, CHAIN)
    cam = ids["suppliers"]["cam_kr"]
    swapped_bom = copy.deepcopy(example_bom)
    for line in swapped_bom["lines"]:
        if line["material"] == "nmc811_cam":
            line["supplier"] = cam
    lighter = copy.deepcopy(example_bom)
    lighter["lines"][0]["amount"] = "300 g"
    lighter["cell"]["nominal_capacity"] = "55 Ah"
    with_suppliers = bom_with_suppliers(example_bom, CHAIN, ids)
    batch = org_client.post(
        "/v1/footprints/batch",
        json={
            "bom_id": stored_example["id"],
            "variants": [
                {"key": "kr-cathode", "suppliers": {"nmc811_cam": cam}},
                {"key": "lighter", "bom": lighter},
                {"key": "supply-chain", "bom": with_suppliers},
            ],
        },
    )
    results = {r["key"]: r for r in _lines(batch)}
    for key, bom in (
        ("kr-cathode", swapped_bom),
        ("lighter", lighter),
        ("supply-chain", with_suppliers),
    ):
        expected = footprint_of(org_client, bom)
        for figure in (
            "kg_co2e_per_cell",
            "kg_co2e_per_kwh",
            "kg_co2e_per_cell_market_based",
            "kg_co2e_per_kwh_market_based",
            "kg_co2e_per_cell_gwp20",
            "nominal_energy_kwh",
        ):
            assert results[key][figure] == pytest.approx(expected[figure], rel=1e-12), (key, figure)
    # The supplier data makes a difference, so the comparison above tests something.
    assert results["supply-chain"]["kg_co2e_per_cell_market_based"] != pytest.approx(
        results["supply-chain"]["kg_co2e_per_cell"], rel=1e-6
    )


def test_an_inline_base_bom_prices_as_the_stored_one(
    org_client, stored_example, example_bom
) -> None:  # type: ignore[no-untyped-def]
    variants = [{"key": "a"}, {"key": "b", "grid_region": "FR"}]
    stored = _lines(
        org_client.post(
            "/v1/footprints/batch", json={"bom_id": stored_example["id"], "variants": variants}
        )
    )
    inline = _lines(
        org_client.post("/v1/footprints/batch", json={"bom": example_bom, "variants": variants})
    )
    assert inline == stored


def test_invalid_variants_get_their_own_problem_lines(
    org_client, stored_example, example_bom
) -> None:  # type: ignore[no-untyped-def]
    """Every problem of a variant at once, with field paths; the valid ones beside are priced."""
    broken = copy.deepcopy(example_bom)
    broken["lines"][1]["amount"] = "12 kWh"
    broken["plant"]["grid_region"] = "XX"
    supplier = org_client.post("/v1/suppliers", json={"name": "No data", "country": "KR"}).json()
    batch = org_client.post(
        "/v1/footprints/batch",
        json={
            "bom_id": stored_example["id"],
            "variants": [
                {"key": "ok", "grid_region": "PL"},
                {
                    "key": "bad-changes",
                    "grid_region": "ATLANTIS",
                    "substitutions": {"unobtainium": "graphite_natural_cn"},
                    "recycled_share": {"Mn": 0.5},
                },
                {"key": "no-data", "suppliers": {"nmc811_cam": supplier["id"]}},
                {"key": "bad-bom", "bom": broken},
                {"key": "ok-too"},
            ],
        },
    )
    results = _lines(batch)
    assert [r["key"] for r in results] == ["ok", "bad-changes", "no-data", "bad-bom", "ok-too"]
    assert results[0]["kg_co2e_per_cell"] > 0 and results[4]["kg_co2e_per_cell"] > 0
    problem = results[1]["problem"]
    assert problem["status"] == 422 and problem["title"] == "Invalid input"
    assert [e["loc"] for e in problem["errors"]] == [
        ["variants", 1, "grid_region"],
        ["variants", 1, "substitutions", "unobtainium"],
        ["variants", 1, "recycled_share", "Mn"],
    ]
    assert results[2]["problem"]["errors"][0]["loc"] == ["variants", 2, "suppliers", "nmc811_cam"]
    assert "has no data" in results[2]["problem"]["errors"][0]["msg"]
    bom_locs = [e["loc"] for e in results[3]["problem"]["errors"]]
    assert ["variants", 3, "bom", "plant", "grid_region"] in bom_locs
    assert ["variants", 3, "bom", "lines", 1, "amount"] in bom_locs


@pytest.mark.parametrize(
    ("body", "locs"),
    [
        ({"variants": [{"key": "a"}]}, [["bom_id"]]),
        (
            {"bom_id": "BOM", "variants": [{"key": "a"}, {"key": "a"}]},
            [["bom_id"], ["variants", 1, "key"]],
        ),
        ({"bom_id": "BOM", "variants": []}, [["variants"]]),
        ({"bom_id": "BOM", "variants": [{"key": "a", "grid": "DE"}]}, [["variants", 0, "grid"]]),
        (
            {"bom_id": "BOM", "variants": [{"key": "a", "recycled_share": {"Ni": 2}}], "top": 99},
            [["variants", 0, "recycled_share", "Ni"], ["top"]],
        ),
    ],
)
def test_a_malformed_batch_is_422_and_stores_nothing(
    org_client, stored_example, example_bom, body, locs
) -> None:  # type: ignore[no-untyped-def]
    body = json.loads(json.dumps(body).replace('"BOM"', json.dumps(stored_example["id"])))
    if locs[0] == ["bom_id"] and "bom_id" in body:
        body["bom"] = example_bom  # both a stored and an inline base
    before = _audit_count(org_client)
    response = org_client.post("/v1/footprints/batch", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [e["loc"] for e in response.json()["errors"]] == locs
    assert _audit_count(org_client) == before


def test_one_audit_row_per_batch_and_another_organisations_bom_is_404(
    org_client, client, stored_example
) -> None:  # type: ignore[no-untyped-def]
    before = _audit_count(org_client)
    body = {"bom_id": stored_example["id"], "variants": [{"key": str(n)} for n in range(30)]}
    response = org_client.post("/v1/footprints/batch", json=body)
    assert len(_lines(response)) == 30
    assert _audit_count(org_client) == before + 1
    event = org_client.get("/v1/audit", params={"limit": 1}).json()["data"][0]
    assert event["resource"] == "footprint_batch"
    assert event["resource_id"] == response.headers["x-batch-id"]
    assert event["details"]["variants"] == 30
    other = client.post("/v1/footprints/batch", json=body)
    assert other.status_code == 404
    assert other.headers["content-type"].startswith(PROBLEM)


def test_idempotency_key_replays_the_whole_ndjson_body(org_client, stored_example) -> None:  # type: ignore[no-untyped-def]
    body = {
        "bom_id": stored_example["id"],
        "variants": [{"key": str(n), "grid_region": "CN"} for n in range(2500)],
    }
    headers = {"Idempotency-Key": "batch-replay-1"}
    first = org_client.post("/v1/footprints/batch", json=body, headers=headers)
    before = _audit_count(org_client)
    again = org_client.post("/v1/footprints/batch", json=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert len(_lines(again)) == 2500
    assert _audit_count(org_client) == before


def test_ten_thousand_variants_in_a_body_over_the_usual_limit(org_client, stored_example) -> None:  # type: ignore[no-untyped-def]
    """The batch route has its own body limit: 10,000 variants with a substitution each are
    more than the 1 MiB other routes take; 10,001 variants are refused as a 422."""
    regions = ["CN", "DE", "FR", "PL", "SE", "US-SRTV"]
    variants = [
        {
            "key": f"variant-{n:05d}",
            "grid_region": regions[n % len(regions)],
            "substitutions": {"graphite_synthetic_cn": "graphite_natural_cn"},
            "recycled_share": {"Ni": (n % 3) / 10},
        }
        for n in range(10_000)
    ]
    body = {"bom_id": stored_example["id"], "variants": variants}
    assert len(json.dumps(body)) > 1024 * 1024
    results = _lines(org_client.post("/v1/footprints/batch", json=body))
    assert [r["key"] for r in results] == [v["key"] for v in variants]
    assert all(r["kg_co2e_per_cell"] > 0 for r in results)
    # Same region and shares, same figures: variants 0 and 30 (30 is a multiple of 6 and 3).
    assert results[30]["kg_co2e_per_cell"] == results[0]["kg_co2e_per_cell"]
    too_many = org_client.post(
        "/v1/footprints/batch", json={**body, "variants": [*variants, {"key": "one more"}]}
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["loc"] == ["variants"]


def test_a_kept_batch_downloads_as_ndjson_csv_and_xlsx(org_client, stored_example) -> None:  # type: ignore[no-untyped-def]
    """?store=true answers 201 with the same lines, after the commit; the kept batch reads back
    as the same NDJSON, and as one row per variant in CSV and XLSX, where a key that looks like
    a formula stays text."""
    from openpyxl import load_workbook

    body = {
        "bom_id": stored_example["id"],
        "variants": [{"key": "=1+1", "grid_region": "FR"}, {"key": "x", "grid_region": "NOPE"}],
    }
    streamed = org_client.post("/v1/footprints/batch", json=body)
    kept = org_client.post("/v1/footprints/batch", params={"store": "true"}, json=body)
    assert kept.status_code == 201, kept.text
    assert kept.headers["content-type"].startswith(NDJSON)
    assert kept.content == streamed.content
    location = kept.headers["location"]
    assert location == f"/v1/footprint-batches/{kept.headers['x-batch-id']}"
    assert org_client.get(location).content == kept.content
    table = org_client.get(location, params={"format": "csv"})
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    first = json.loads(kept.text.splitlines()[0])
    assert rows[0]["key"] == "=1+1"
    assert float(rows[0]["kg_co2e_per_cell"]) == first["kg_co2e_per_cell"]  # repr round-trips
    assert rows[1]["problem"].startswith("variants.1.grid_region")
    book = load_workbook(io.BytesIO(org_client.get(location, params={"format": "xlsx"}).content))
    sheet = book["variants"]
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    # xlsxwriter writes numbers to 16 significant digits (Excel keeps 15): the last bit may go
    assert sheet["B2"].value == pytest.approx(first["kg_co2e_per_cell"], rel=1e-15)
    assert org_client.get(location, params={"format": "pdf"}).status_code == 422
