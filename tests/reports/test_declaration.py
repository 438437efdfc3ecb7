"""The EU declaration: four life-cycle stages by default, the regulatory electricity ruleset,
stages left out only on request and then said so on its face."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pypdf import PdfReader

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def cradle_to_gate(client, stored_bom) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.post(f"/v1/boms/{stored_bom['id']}/footprints")
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_four_stages_by_default_sum_to_the_total(
    client, cradle_to_gate, four_stage_footprint, real_background
) -> None:  # type: ignore[no-untyped-def]
    """A cradle-to-gate footprint of the example cell (14.8487 raw materials + 2.9256
    production, plant 1.819 kWh/cell in US-SRTV) declared with the EU draft's electricity: the
    plant's kWh move from the SRTV grid average (0.48246) to the US national consumption mix
    (0.41849): production 2.9256 + 1.819 × (0.41849 − 0.48246) = 2.9256 − 0.11636 = 2.8092.
    Distribution and end of life come from the default models, the same figures as the
    footprint that modelled them (0.0938 and 0.3664). Total 14.8487 + 2.8092 + 0.0938 + 0.3664
    = 18.1181 kg per cell (18.1182 from the unrounded stages); per kWh delivered / 105.12 kWh
    (0.219 × 60 × 8) = 0.17236."""
    declaration = client.get(f"/v1/footprints/{cradle_to_gate['id']}/declaration").json()
    stages = {s["stage"]: s for s in declaration["stages"]}
    assert declaration["complete"] is True and declaration["not_assessed"] == []
    assert all(s["assessed"] for s in stages.values())
    assert declaration["scope"].startswith("All four life-cycle stages")
    assert declaration["electricity_ruleset"] == "eu-cfb-ev-delegated-act-draft/2024-04"
    assert declaration["electricity_ruleset_status"] == "draft"
    assert any("not an adopted text" in note for note in declaration["notes"])
    score = real_background.unit_score
    change = 1.819 * (score("electricity_grid_us") - score("electricity_grid_us_srtv"))
    assert change == pytest.approx(-0.11636, abs=5e-5)
    by_stage = cradle_to_gate["by_stage"]
    production = stages["main_product_production"]["kg_co2e_per_cell"]
    assert production == pytest.approx(by_stage["main_product_production"] + change, rel=1e-9)
    materials = stages["raw_material_acquisition_and_pre_processing"]["kg_co2e_per_cell"]
    assert materials == pytest.approx(
        by_stage["raw_material_acquisition_and_pre_processing"], rel=1e-12
    )
    for stage in ("distribution", "end_of_life_and_recycling"):
        assert stages[stage]["kg_co2e_per_cell"] == pytest.approx(
            four_stage_footprint["by_stage"][stage], rel=1e-12
        )
        assert "data/lifecycle" in stages[stage]["basis"]
    total = sum(s["kg_co2e_per_cell"] for s in stages.values())
    assert declaration["carbon_footprint_kg_co2e_per_cell"] == pytest.approx(total, rel=1e-12)
    assert total == pytest.approx(18.1181, abs=5 * 5e-5)
    assert sum(s["kg_co2e_per_kwh"] for s in stages.values()) == pytest.approx(
        declaration["carbon_footprint_kg_co2e_per_kwh"], rel=1e-12
    )
    assert declaration["carbon_footprint_kg_co2e_per_kwh"] == pytest.approx(
        total / 105.12, rel=1e-12
    )


def test_left_out_stages_are_said_on_its_face(client, cradle_to_gate) -> None:  # type: ignore[no-untyped-def]
    url = f"/v1/footprints/{cradle_to_gate['id']}/declaration"
    params = {"not_assessed": "distribution,end_of_life_and_recycling"}
    declaration = client.get(url, params=params).json()
    stages = {s["stage"]: s for s in declaration["stages"]}
    assert declaration["complete"] is False
    assert declaration["not_assessed"] == ["distribution", "end_of_life_and_recycling"]
    assert declaration["scope"].startswith("INCOMPLETE")
    assert stages["distribution"]["assessed"] is False
    assert stages["distribution"]["kg_co2e_per_cell"] == 0.0
    full = client.get(url).json()
    assert (
        declaration["carbon_footprint_kg_co2e_per_kwh"] < full["carbon_footprint_kg_co2e_per_kwh"]
    )
    pdf = client.get(url, params={**params, "format": "pdf"})
    assert pdf.status_code == 200, pdf.text
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "INCOMPLETE" in text and "(not assessed)" in text
    assert "eu-cfb-ev-delegated-act-draft/2024-04 (a draft)" in text


def test_only_downstream_stages_may_be_left_out(client, cradle_to_gate) -> None:  # type: ignore[no-untyped-def]
    url = f"/v1/footprints/{cradle_to_gate['id']}/declaration"
    response = client.get(
        url, params=[("not_assessed", "main_product_production"), ("not_assessed", "use")]
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert [e["loc"] for e in response.json()["errors"]] == [
        ["query", "not_assessed", 0],
        ["query", "not_assessed", 1],
    ]


SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[2]
        / "data/passport/battery-passport-carbon-footprint.cellcarbon.schema.json"
    ).read_text()
)


def test_passport_section_validates_against_the_schema(client, cradle_to_gate) -> None:  # type: ignore[no-untyped-def]
    """The passport's figures are the declaration's: the same total and stages per kWh, the
    absolute footprint = per kWh × 105.12 kWh, and the study as an absolute link."""
    footprint_id = cradle_to_gate["id"]
    response = client.get(f"/v1/footprints/{footprint_id}/passport")
    assert response.status_code == 200, response.text
    section = response.json()
    jsonschema.Draft202012Validator(SCHEMA).validate(section)
    declaration = client.get(f"/v1/footprints/{footprint_id}/declaration").json()
    footprint = section["carbonFootprint"]
    assert footprint["batteryCarbonFootprint"] == declaration["carbon_footprint_kg_co2e_per_kwh"]
    assert [s["carbonFootprint"] for s in footprint["carbonFootprintPerLifecycleStage"]] == [
        s["kg_co2e_per_kwh"] for s in declaration["stages"]
    ]
    assert footprint["absoluteCarbonFootprint"] == pytest.approx(
        declaration["carbon_footprint_kg_co2e_per_kwh"] * 105.12, rel=1e-12
    )
    assert footprint["carbonFootprintStudy"].startswith("http")
    assert footprint["carbonFootprintStudy"].endswith(
        f"/v1/footprints/{footprint_id}/report?format=pdf"
    )
    assert section["methodology"]["electricityRuleset"] == "eu-cfb-ev-delegated-act-draft/2024-04"
    assert any("draft" in note for note in section["notes"])
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/v1/footprints/{missing}/passport").status_code == 404


def test_a_footprint_stored_before_rulesets_says_what_it_lacks(
    client, settings, stored_bom
) -> None:  # type: ignore[no-untyped-def]
    """A footprint stored by an earlier version (no rulesets, no default stage models in its
    result): the declaration uses the headline's electricity and says why, marks the downstream
    stages not assessed, and the passport refuses it naming each stage (409, problem+json)."""
    from sqlmodel import Session

    from app.core.runtime import get_engine
    from app.footprints.models import Footprint

    footprint_id = client.post(f"/v1/boms/{stored_bom['id']}/footprints").json()["id"]
    with Session(get_engine(settings)) as session:
        row = session.get(Footprint, uuid.UUID(footprint_id))
        assert row is not None
        row.result = {
            k: v
            for k, v in row.result.items()
            if k not in ("electricity_rulesets", "default_downstream")
        }
        session.add(row)
        session.commit()
    footprint = client.get(f"/v1/footprints/{footprint_id}").json()
    assert footprint["electricity_rulesets"] == []
    assert footprint["headline_ruleset"] == "ghgp-scope2-location/2015"
    declaration = client.get(f"/v1/footprints/{footprint_id}/declaration").json()
    assert declaration["complete"] is False
    assert declaration["electricity_ruleset"] == "ghgp-scope2-location/2015"
    assert any("stored before electricity rulesets" in n for n in declaration["notes"])
    assert declaration["not_assessed"] == ["distribution", "end_of_life_and_recycling"]
    refused = client.get(f"/v1/footprints/{footprint_id}/passport")
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM
    assert len([e for e in refused.json()["errors"] if e["loc"][1] == "stages"]) == 2
