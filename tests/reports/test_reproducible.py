"""Reports of stored footprints are reproducible; declaration and comparison; bad input."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.reports.conftest import DOWNSTREAM


def _numbers(value: Any, path: str = "") -> dict[str, float]:
    """Every number of a JSON document by its path."""
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in _numbers(item, f"{path}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in _numbers(item, f"{path}[{i}]").items()
        }
    if isinstance(value, float | int) and not isinstance(value, bool):
        return {path: float(value)}
    return {}


def test_a_stored_report_recomputed_gives_the_same_numbers(
    client, stored_bom, four_stage_footprint
) -> None:  # type: ignore[no-untyped-def]
    """The same BOM and request on the same versions: same input hash, same numbers."""
    again = client.post(f"/v1/boms/{stored_bom['id']}/footprints", json=DOWNSTREAM).json()
    assert again["id"] != four_stage_footprint["id"]
    first = client.get(f"/v1/footprints/{four_stage_footprint['id']}/report").json()
    second = client.get(f"/v1/footprints/{again['id']}/report").json()
    assert first["identification"]["input_sha256"] == second["identification"]["input_sha256"]
    assert _numbers(first) == _numbers(second)


def test_footprint_without_body_reports_two_stages_as_not_assessed(client, stored_bom) -> None:  # type: ignore[no-untyped-def]
    footprint = client.post(f"/v1/boms/{stored_bom['id']}/footprints")
    assert footprint.status_code == 201
    assert set(footprint.json()["by_stage"]) == {
        "raw_material_acquisition_and_pre_processing",
        "main_product_production",
    }
    report = client.get(f"/v1/footprints/{footprint.json()['id']}/report").json()
    assessed = {s["stage"]: s["assessed"] for s in report["stages"]}
    assert assessed["distribution"] is False and assessed["end_of_life_and_recycling"] is False
    assert any(note.startswith("not assessed") for note in report["notes"])


def test_user_overrides_of_the_downstream_stages(client, stored_bom, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    """20,000 km by sea instead of the default legs; the pyrometallurgical route in France."""
    body = {
        "distribution": {"legs": [{"mode": "sea", "distance_km": 20000, "label": "Asia-EU"}]},
        "end_of_life": {"route": "pyrometallurgical", "grid_region": "FR"},
    }
    footprint = client.post(f"/v1/boms/{stored_bom['id']}/footprints", json=body).json()
    report = client.get(f"/v1/footprints/{footprint['id']}/report").json()
    legs = report["lifecycle_parameters"]["distribution"]["legs"]
    assert legs[0]["t_km"] == pytest.approx(0.77 / 1000 * 20000, rel=1e-12)
    assert report["lifecycle_parameters"]["end_of_life"]["grid_region"] == "FR"
    assert footprint["input_sha256"] != four_stage_footprint["input_sha256"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"distribution": {"legs": [{"mode": "air", "distance_km": 10}]}}, "mode"),
        ({"distribution": {"legs": [{"mode": "sea", "distance_km": -1}]}}, "distance_km"),
        ({"end_of_life": {"route": "landfill"}}, "route"),
        ({"end_of_life": {"grid_region": "XX"}}, "grid_region"),
        ({"transport": {}}, "transport"),
    ],
)
def test_bad_downstream_parameters_are_422_naming_the_field(client, stored_bom, body, loc) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"/v1/boms/{stored_bom['id']}/footprints", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(loc in map(str, error["loc"]) for error in response.json()["errors"])


def test_functional_unit_inputs_can_be_overridden(client, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    url = f"/v1/footprints/{four_stage_footprint['id']}/report"
    unit = client.get(f"{url}?application=ev_m2_m3_n2_n3&service_years=10").json()[
        "functional_unit"
    ]
    assert unit["total_energy_kwh"] == pytest.approx(0.219 * 250 * 10, rel=1e-12)
    assert unit["overridden"] == ["service_years"]
    assert client.get(f"{url}?application=tram").status_code == 422
    assert client.get(f"{url}?full_equivalent_cycles_per_year=0").status_code == 422


def test_declaration_json_and_pdf(client, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    url = f"/v1/footprints/{four_stage_footprint['id']}/declaration"
    declaration = client.get(url).json()
    assert declaration["performance_class"] is None
    assert "not yet defined" in declaration["performance_class_note"]
    assert sum(s["kg_co2e_per_kwh"] for s in declaration["stages"]) == pytest.approx(
        declaration["carbon_footprint_kg_co2e_per_kwh"], rel=1e-12
    )
    assert declaration["public_study"].endswith("/report?format=pdf")
    response = client.get(url, headers={"Accept": "application/pdf"})
    assert response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert f"{declaration['carbon_footprint_kg_co2e_per_kwh']:.4f}" in text
    assert client.get(f"{url}?format=csv").status_code == 422


def test_comparison_in_every_format(client, stored_bom, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    plain = client.post(f"/v1/boms/{stored_bom['id']}/footprints").json()
    ids = f"{plain['id']},{four_stage_footprint['id']}"
    compared = client.get(f"/v1/reports/comparison?ids={ids}").json()
    columns = compared["footprints"]
    assert [c["results"]["kg_co2e_per_cell"] for c in columns] == [
        plain["kg_co2e_per_cell"],
        four_stage_footprint["kg_co2e_per_cell"],
    ]
    assert columns[0]["stages"]["distribution"] == 0.0 < columns[1]["stages"]["distribution"]
    csv_body = client.get(f"/v1/reports/comparison?ids={ids}&format=csv")
    assert csv_body.content == client.get(f"/v1/reports/comparison?ids={ids}&format=csv").content
    book = load_workbook(
        io.BytesIO(client.get(f"/v1/reports/comparison?ids={ids}&format=xlsx").content)
    )
    values = [
        row[4]
        for row in book["comparison"].iter_rows(min_row=2, values_only=True)
        if row[3] == "kg_co2e_per_cell"
    ]
    # openpyxl writes "%.16g": equal to Excel's precision (see test_report_formats.XLSX).
    assert values == pytest.approx([c["results"]["kg_co2e_per_cell"] for c in columns], rel=1e-15)
    pdf = client.get(f"/v1/reports/comparison?ids={ids}&format=pdf")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert all(f"{c['results']['kg_co2e_per_cell']:.4f}" in text for c in columns)
    assert client.get("/v1/reports/comparison?ids=nope").status_code == 422
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/v1/reports/comparison?ids={missing}").status_code == 404


def test_report_carries_the_monte_carlo_interval(client, stored_bom) -> None:  # type: ignore[no-untyped-def]
    footprint = client.post(f"/v1/boms/{stored_bom['id']}/footprints").json()
    started = client.post(
        f"/v1/footprints/{footprint['id']}/uncertainty", json={"iterations": 50, "seed": 3}
    )
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while client.get(started.headers["location"]).json()["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    job = client.get(started.headers["location"]).json()
    uncertainty = client.get(f"/v1/footprints/{footprint['id']}/report").json()["uncertainty"]
    assert uncertainty["iterations"] == 50
    assert uncertainty["p2_5_kg_co2e_per_cell"] == job["result"]["percentiles"]["p2.5"]
    assert uncertainty["covers"] == "all stages of this footprint"
