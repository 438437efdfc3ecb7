"""Suppliers, sites, energy reports and PCFs through the API, and their effect on a footprint."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.example_loader import bom_with_suppliers, footprint_of, post_supply_chain

ROOT = Path(__file__).resolve().parents[2]
CHAIN = json.loads((ROOT / "data/examples/suppliers/nmc811_supply_chain.json").read_text())
PROBLEM = "application/problem+json"


@pytest.fixture
def supplier(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    created = client.post("/v1/suppliers", json={"name": "Acme Nickel", "country": "ID"})
    assert created.status_code == 201, created.text
    site = client.post(
        f"/v1/suppliers/{created.json()['id']}/sites",
        json={"name": "Morowali", "country": "ID", "grid_region": "ID"},
    )
    assert site.status_code == 201, site.text
    return {"id": created.json()["id"], "site": site.json()["id"]}


def _report(site: str, **changes: Any) -> dict[str, Any]:
    report = {
        "site_id": site,
        "product": "nickel_sulfate_id",
        "period": {"start": "2025-01-01", "end": "2025-06-30"},
        "output": {"amount": "5000 t"},
        "electricity": {
            "grid": "10 GWh",
            "instruments": [
                {
                    "type": "unbundled_certificate",
                    "certificate_type": "I-REC",
                    "amount": "10000 MWh",
                    "technology": "wind",
                    "vintage_year": 2025,
                    "market": "ID",
                    "certificate_ids": ["IREC-1"],
                }
            ],
        },
        "fuels": [{"fuel": "natural_gas", "amount": "3000 MMBtu"}],
    }
    report.update(changes)
    return report


def test_certified_wind_gives_near_zero_market_based_electricity(
    client, supplier, real_background
) -> None:  # type: ignore[no-untyped-def]
    """10 GWh for 5,000 t: 2 kWh/kg. Location-based = 2 × the ID grid factor; market-based =
    2 × the wind life-cycle factor, close to zero."""
    response = client.post(
        f"/v1/suppliers/{supplier['id']}/energy-reports", json=_report(supplier["site"])
    )
    assert response.status_code == 201, response.text
    report = response.json()
    location = [a for a in report["electricity"] if a["method"] == "location"]
    market = [a for a in report["electricity"] if a["method"] == "market"]
    assert location[0]["kg_co2e_per_kg"] == pytest.approx(
        2 * real_background.unit_score("electricity_grid_id"), rel=1e-9
    )
    assert market[0]["rule"] == "contractual instrument (unbundled_certificate)"
    assert market[0]["kg_co2e_per_kg"] == pytest.approx(
        2 * real_background.unit_score("electricity_wind"), rel=1e-9
    )
    assert market[0]["kg_co2e_per_kg"] < 0.05 * location[0]["kg_co2e_per_kg"]
    assert report["kg_co2e_per_kg_market_based"] < report["kg_co2e_per_kg_location_based"]
    assert report["upstream_basis"] == "background upstream, energy replaced"
    fetched = client.get(f"/v1/energy-reports/{report['id']}").json()
    assert fetched == report


def _count(client, supplier_id: str) -> int:  # type: ignore[no-untyped-def]
    return int(client.get(f"/v1/suppliers/{supplier_id}/energy-reports").json()["count"])


BAD_REPORTS = [
    (
        "energy as a mass",
        {"electricity": {"grid": "10 t"}},
        ["electricity", "grid"],
        "expected a energy",
    ),
    (
        "instruments over consumption",
        {
            "electricity": {
                "grid": "1 GWh",
                "instruments": [
                    {
                        "type": "ppa",
                        "amount": "2 GWh",
                        "technology": "solar",
                        "vintage_year": 2025,
                        "market": "ID",
                    }
                ],
            }
        },
        ["electricity", "instruments"],
        "only 1e+06 kWh",
    ),
    (
        "period end before start",
        {"period": {"start": "2025-06-30", "end": "2025-01-01"}},
        ["period", "end"],
        "ends before it starts",
    ),
    ("zero output", {"output": {"amount": "0 t"}}, ["output", "amount"], "greater than zero"),
    (
        "vintage outside the window",
        {
            "electricity": {
                "grid": "1 GWh",
                "instruments": [
                    {
                        "type": "ppa",
                        "amount": "1 GWh",
                        "technology": "solar",
                        "vintage_year": 2019,
                        "market": "ID",
                    }
                ],
            }
        },
        ["electricity", "instruments", 0, "vintage_year"],
        "outside the allowed window",
    ),
    (
        "instrument from another market",
        {
            "electricity": {
                "grid": "1 GWh",
                "instruments": [
                    {
                        "type": "ppa",
                        "amount": "1 GWh",
                        "technology": "solar",
                        "vintage_year": 2025,
                        "market": "DE",
                    }
                ],
            }
        },
        ["electricity", "instruments", 0, "market"],
        "same market",
    ),
    (
        "fuel as a length",
        {"fuels": [{"fuel": "diesel", "amount": "3 km"}]},
        ["fuels", 0, "amount"],
        "a fuel is given as energy",
    ),
    ("unknown product", {"product": "unobtainium"}, ["product"], "unknown material"),
    (
        "unknown gas",
        {"process_emissions": [{"gas": "ozone", "amount": "1 t"}]},
        ["process_emissions", 0, "gas"],
        "unknown gas",
    ),
]


@pytest.mark.parametrize(
    ("what", "changes", "field", "words"), BAD_REPORTS, ids=[c[0] for c in BAD_REPORTS]
)
def test_bad_reports_are_422_and_store_nothing(
    client, supplier, what, changes, field, words
) -> None:  # type: ignore[no-untyped-def]
    before = _count(client, supplier["id"])
    response = client.post(
        f"/v1/suppliers/{supplier['id']}/energy-reports", json=_report(supplier["site"], **changes)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    errors = response.json()["errors"]
    assert any(e["loc"] == field and words in e["msg"] for e in errors), errors
    assert _count(client, supplier["id"]) == before


def test_unknown_grid_region_of_a_site_is_422(client, supplier) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        f"/v1/suppliers/{supplier['id']}/sites",
        json={"name": "x", "country": "ID", "grid_region": "ID-MARS"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["grid_region"]


def test_overlaps_are_refused_and_corrections_supersede(client, supplier) -> None:  # type: ignore[no-untyped-def]
    url = f"/v1/suppliers/{supplier['id']}/energy-reports"
    first = client.post(url, json=_report(supplier["site"])).json()
    overlapping = client.post(
        url, json=_report(supplier["site"], period={"start": "2025-06-01", "end": "2025-12-31"})
    )
    assert overlapping.status_code == 422
    assert overlapping.json()["errors"][0]["loc"] == ["period"]
    correction = client.post(
        url, json=_report(supplier["site"], output={"amount": "4000 t"}, supersedes=first["id"])
    )
    assert correction.status_code == 201, correction.text
    assert correction.json()["version"] == 2
    assert (
        client.get(f"/v1/energy-reports/{first['id']}").json()["superseded_by"]
        == correction.json()["id"]
    )
    again = client.post(url, json=_report(supplier["site"], supersedes=first["id"]))
    assert again.status_code == 422 and "already been superseded" in again.text
    # A later, non-overlapping period is fine.
    later = client.post(
        url, json=_report(supplier["site"], period={"start": "2025-07-01", "end": "2025-12-31"})
    )
    assert later.status_code == 201, later.text


def test_bom_with_an_unknown_supplier_is_422(client, example_bom) -> None:  # type: ignore[no-untyped-def]
    example_bom["lines"][0]["supplier"] = "00000000-0000-0000-0000-000000000042"
    response = client.post("/v1/boms", json=example_bom)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["lines", 0, "supplier"]


def test_example_supply_chain_changes_the_footprint(client, example_bom, real_background) -> None:  # type: ignore[no-untyped-def]
    without = footprint_of(client, example_bom)
    ids = post_supply_chain(client, CHAIN)
    with_data = footprint_of(client, bom_with_suppliers(example_bom, CHAIN, ids))
    lines = {line["material"]: line for line in with_data["lines"]}
    baseline = {line["material"]: line for line in without["lines"]}
    for material in CHAIN["bom_lines"]:
        assert lines[material]["data_quality"].startswith("primary"), material
        assert lines[material]["supplier"] in ids["suppliers"].values()
        assert lines[material]["supplier_data"]["id"]
    # Aluminium foil: the supplier's PACT footprint, 6,800 kg CO2e per 1,000 kg.
    foil = lines["aluminium_foil"]
    assert foil["kg_co2e"] == pytest.approx(foil["amount"] * 6.8, rel=1e-12)
    assert foil["kg_co2e"] < baseline["aluminium_foil"]["kg_co2e"]
    # Copper foil made on the coal-heavy Indonesian grid, no instruments: higher than background.
    assert lines["copper_foil"]["kg_co2e"] > baseline["copper_foil"]["kg_co2e"]
    assert lines["copper_foil"]["kg_co2e_market_based"] == pytest.approx(
        lines["copper_foil"]["kg_co2e"], rel=1e-12
    )
    # Certificates lower the market-based figures of the cathode and graphite lines.
    for material in ("nmc811_cam", "graphite_synthetic_cn"):
        assert lines[material]["kg_co2e_market_based"] < lines[material]["kg_co2e"]
    assert with_data["kg_co2e_per_cell_market_based"] < with_data["kg_co2e_per_cell"]
    assert 0 < with_data["primary_data_share"] < 1
    assert without["primary_data_share"] == 0
    assert set(with_data["by_supplier"]) == set(ids["suppliers"].values())
    assert sum(line["kg_co2e"] for line in with_data["lines"]) == pytest.approx(
        with_data["kg_co2e_per_cell"], rel=1e-12
    )
    assert any("PCF" in note for note in with_data["notes"])


def test_supplier_footprint_equals_plain_bw2calc(client, example_bom, real_background) -> None:  # type: ignore[no-untyped-def]
    """The supplier-specific processes (without the aggregated PCF) go to bw2calc as foreground
    activities of an in-memory datapackage: same number to 1e-9."""
    from app.boms.models import Bom
    from app.core.db import session_scope
    from app.core.repository import OrgRepository
    from app.core.runtime import get_engine
    from app.footprints.models import Footprint
    from app.footprints.service import cell_model
    from lca.footprint import reference_score

    chain = copy.deepcopy(CHAIN)
    chain["suppliers"] = [s for s in chain["suppliers"] if s["key"] != "al_foil"]
    chain["bom_lines"].pop("aluminium_foil")
    ids = post_supply_chain(client, chain)
    footprint = footprint_of(client, bom_with_suppliers(example_bom, chain, ids))
    settings = client.app.state.settings
    with session_scope(get_engine(settings)) as session:
        stored = session.get(Footprint, __import__("uuid").UUID(footprint["id"]))
        repo = OrgRepository(session, stored.organisation_id)
        model = cell_model(repo, repo.get(Bom, stored.bom_id, "BOM"), real_background)
    for inputs, processes, total in (
        (model.location_inputs, model.location_processes, footprint["kg_co2e_per_cell"]),
        (model.market_inputs, model.market_processes, footprint["kg_co2e_per_cell_market_based"]),
    ):
        assert total == pytest.approx(
            reference_score(real_background, inputs, processes=processes), rel=1e-9
        )


def test_supplier_swap_scenario_prices_the_line_with_that_suppliers_data(
    client, example_bom
) -> None:  # type: ignore[no-untyped-def]
    """The plain BOM, with its cathode material taken from the example KR supplier: the change
    equals the supplier-specific line minus the background line, as two footprints show."""
    ids = post_supply_chain(client, CHAIN)
    plain = footprint_of(client, example_bom)
    cam_supplier = ids["suppliers"]["cam_kr"]
    bom_id = plain["bom_id"]
    response = client.post(
        f"/v1/boms/{bom_id}/scenarios",
        json={
            "scenarios": [
                {"name": "KR cathode supplier", "suppliers": {"nmc811_cam": cam_supplier}}
            ]
        },
    )
    assert response.status_code == 200, response.text
    swapped = response.json()["scenarios"][0]
    with_supplier = copy.deepcopy(example_bom)
    for line in with_supplier["lines"]:
        if line["material"] == "nmc811_cam":
            line["supplier"] = cam_supplier
    expected = footprint_of(client, with_supplier)
    assert swapped["kg_co2e_per_cell"] == pytest.approx(expected["kg_co2e_per_cell"], rel=1e-12)
    unknown = client.post(
        f"/v1/boms/{bom_id}/scenarios",
        json={
            "scenarios": [{"name": "x", "suppliers": {"nmc811_cam": ids["suppliers"]["foil_id"]}}]
        },
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["scenarios", 0, "suppliers", "nmc811_cam"]
