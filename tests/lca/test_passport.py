"""Battery-passport carbon-footprint section from a declaration, checked against our schema.

The declaration is fixed input (an NMC811 pouch cell as an earlier background priced it), cradle
to grave: 13.6788 raw materials +
2.9256 production + 0.0938 distribution + 0.3664 end of life = 17.0646 kg CO2e per cell, over
0.219 kWh × 60 cycles/year × 8 years = 105.12 kWh delivered. Per kWh: 17.0646 / 105.12 =
0.162334 kg CO2e/kWh; raw materials 13.6788 / 105.12 = 0.130126, its share 13.6788 / 17.0646 =
0.80159.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from lca.passport import (
    SCHEMA_FILE,
    PassportError,
    passport_carbon_footprint,
    passport_input_from_declaration,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SCHEMA = json.loads((DATA / SCHEMA_FILE).read_text(encoding="utf-8"))
ENERGY_KWH = 0.219 * 60 * 8
PER_CELL = {
    "raw_material_acquisition_and_pre_processing": 13.6788,
    "main_product_production": 2.9256,
    "distribution": 0.0938,
    "end_of_life_and_recycling": 0.3664,
}


def _declaration() -> dict[str, Any]:
    """A declaration body as the EU declaration endpoint serves it
    (``cellcarbon.eu-battery-cf-declaration/1``, JSON)."""
    return {
        "declaration": "cellcarbon.eu-battery-cf-declaration/1",
        "manufacturer": "Ultium Cells, Spring Hill, Tennessee (illustrative)",
        "battery_model": "NMC811 pouch 60 Ah",
        "plant_location": "Ultium Cells, Spring Hill (grid region US-SRTV, US)",
        "carbon_footprint_kg_co2e_per_kwh": sum(PER_CELL.values()) / ENERGY_KWH,
        "stages": [
            {"stage": s, "label": s, "kg_co2e_per_kwh": v / ENERGY_KWH, "assessed": True}
            for s, v in PER_CELL.items()
        ],
        "functional_unit": {
            "application": "ev_m1_n1",
            "energy_capacity_kwh": 0.219,
            "full_equivalent_cycles_per_year": 60.0,
            "service_years": 8.0,
            "total_energy_kwh": ENERGY_KWH,
        },
        "performance_class": None,
        "performance_class_note": "classes not yet defined",
        "public_study": "https://example.org/studies/nmc811-pouch",
        "identifiers": {"footprint_id": "00000000-0000-0000-0000-000000000001"},
        "notes": [],
    }


def _section() -> dict:  # type: ignore[type-arg]
    data = passport_input_from_declaration(
        _declaration(),
        battery_identifier="urn:example:battery-model:nmc811-pouch-60ah",
        electricity_ruleset="eu-cfb-ev-delegated-act-draft/2024-04",
        electricity_ruleset_status="draft",
    )
    return passport_carbon_footprint(data)


def test_export_of_a_declaration_validates_against_the_schema() -> None:
    section = _section()
    jsonschema.Draft202012Validator(SCHEMA).validate(section)
    footprint = section["carbonFootprint"]
    assert footprint["batteryCarbonFootprint"] == pytest.approx(0.162334, rel=1e-5)
    raw = footprint["carbonFootprintPerLifecycleStage"][0]
    assert raw["lifecycleStage"] == "RawMaterialExtraction"
    assert raw["carbonFootprint"] == pytest.approx(0.130126, rel=1e-5)
    assert raw["share"] == pytest.approx(0.80159, rel=1e-4)
    # absolute = per kWh × 105.12 kWh = the 17.0646 kg per cell the stages add up to.
    assert footprint["absoluteCarbonFootprint"] == pytest.approx(17.0646, rel=1e-9)
    assert any("draft" in note for note in section["notes"])


def test_stage_shares_sum_to_one_and_stage_values_to_the_total() -> None:
    footprint = _section()["carbonFootprint"]
    stages = footprint["carbonFootprintPerLifecycleStage"]
    assert [s["lifecycleStage"] for s in stages] == [
        "RawMaterialExtraction",
        "MainProduction",
        "Distribution",
        "Recycling",
    ]
    assert math.fsum(s["share"] for s in stages) == pytest.approx(1.0, abs=1e-12)
    assert math.fsum(s["carbonFootprint"] for s in stages) == pytest.approx(
        footprint["batteryCarbonFootprint"], rel=1e-12
    )


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s["carbonFootprint"]["carbonFootprintPerLifecycleStage"].pop(),
        lambda s: s["carbonFootprint"]["carbonFootprintPerLifecycleStage"].reverse(),
        lambda s: s["carbonFootprint"].update(carbonFootprintStudy="see our website"),
        lambda s: s["identification"].pop("manufacturingPlace"),
        lambda s: s["carbonFootprint"].update(batteryCarbonFootprint="0.16"),
        lambda s: s["methodology"].update(electricityRuleset="whatever we like"),
    ],
)
def test_the_schema_rejects_a_damaged_section(damage) -> None:  # type: ignore[no-untyped-def]
    section = copy.deepcopy(_section())
    damage(section)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(section)


def test_a_cradle_to_gate_declaration_is_refused_with_every_problem() -> None:
    """Distribution and end of life not assessed, and no link to a study: three problems."""
    body = _declaration()
    for stage in body["stages"][2:]:
        stage["assessed"] = False
    body["public_study"] = "on request"
    data = passport_input_from_declaration(
        body, battery_identifier="b-1", electricity_ruleset="ghgp-scope2-market/2015"
    )
    with pytest.raises(PassportError) as caught:
        passport_carbon_footprint(data)
    paths = [path for path, _ in caught.value.problems]
    assert paths == [("public_study",), ("stages", 2, "assessed"), ("stages", 3, "assessed")]


def test_stages_that_do_not_add_up_to_the_total_are_refused() -> None:
    data = passport_input_from_declaration(
        _declaration(),
        battery_identifier="b-1",
        electricity_ruleset="ghgp-scope2-market/2015",
    )
    wrong = replace(
        data, carbon_footprint_kg_co2e_per_kwh=data.carbon_footprint_kg_co2e_per_kwh * 1.01
    )
    with pytest.raises(PassportError, match="the stages add up to"):
        passport_carbon_footprint(wrong)
    missing = replace(data, stages=data.stages[:3])
    with pytest.raises(PassportError, match="end_of_life_and_recycling is missing"):
        passport_carbon_footprint(missing)
