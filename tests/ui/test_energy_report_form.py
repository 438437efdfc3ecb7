"""The full energy-report form: every field of the API's schema has a control, the form makes
the API's body, problems land next to their row's control, and the converter reads fuels and
materials as the service does."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.suppliers.schemas import (
    ElectricityIn,
    EnergyReportCreate,
    FuelIn,
    GasAmountIn,
    InstrumentIn,
    MaterialAmountIn,
    OnsiteIn,
)
from app.ui.energy_report_form import GROUPS, SINGLE_FIELDS, field_of, read_report_form
from tests.conftest import make_organisation
from tests.ui.test_pages import sign_in

# Body fields and the form controls standing for them (the rest have controls of their name).
COMPOSITE = {"period": ("period_start", "period_end"), "output": ("output",)}


def test_every_field_of_the_schema_has_a_control() -> None:
    top = set(EnergyReportCreate.model_fields) - {"electricity", "fuels"}
    top -= {"process_emissions", "materials"}
    for name in top:
        assert set(COMPOSITE.get(name, (name,))) <= set(SINGLE_FIELDS), name
    assert {"supplier_specific_rate"} <= set(SINGLE_FIELDS)
    assert set(ElectricityIn.model_fields) == {
        "grid",
        "instruments",
        "onsite",
        "supplier_specific_rate",
    }
    by_prefix = {group.prefix: set(group.fields) for group in GROUPS}
    assert by_prefix["instrument"] == set(InstrumentIn.model_fields)
    assert by_prefix["onsite"] == set(OnsiteIn.model_fields)
    assert by_prefix["fuel"] == set(FuelIn.model_fields)
    assert by_prefix["emission"] == set(GasAmountIn.model_fields)
    assert by_prefix["material"] == set(MaterialAmountIn.model_fields)


def test_the_form_makes_the_apis_body() -> None:
    """Row 2 of the instruments and row 1 of the fuels filled, the rest empty: the body holds
    one instrument, one fuel, no process emissions or materials (the background's stay)."""
    form = {
        "site_id": "0b7c4c52-0f55-4a1b-9c44-7a1e1b0c9d11",
        "product": "nmc811_cam",
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "output": " 1200 t ",
        "electricity": "2.4 GWh",
        "instrument_2_type": "unbundled_certificate",
        "instrument_2_certificate_type": "I-REC",
        "instrument_2_amount": "500 MWh",
        "instrument_2_technology": "solar",
        "instrument_2_vintage_year": "2024",
        "instrument_2_market": "KR",
        "instrument_2_certificate_ids": "A-1\nA-2, A-3",
        "fuel_1_fuel": "diesel",
        "fuel_1_amount": "80 t",
    }
    report = read_report_form(form)
    assert report.body == {
        "site_id": form["site_id"],
        "product": "nmc811_cam",
        "period": {"start": "2024-01-01", "end": "2024-12-31"},
        "output": {"amount": "1200 t"},
        "electricity": {
            "grid": "2.4 GWh",
            "instruments": [
                {
                    "type": "unbundled_certificate",
                    "certificate_type": "I-REC",
                    "amount": "500 MWh",
                    "technology": "solar",
                    "vintage_year": "2024",
                    "market": "KR",
                    "certificate_ids": ["A-1", "A-2", "A-3"],
                }
            ],
        },
        "fuels": [{"fuel": "diesel", "amount": "80 t"}],
    }
    EnergyReportCreate.model_validate(report.body)
    # The first instrument sent is form row 2: its problems go next to row 2's controls.
    assert field_of(["electricity", "instruments", 0, "amount"], report.sent_rows) == (
        "instrument_2_amount"
    )
    assert field_of(["fuels", 0, "heating_value_basis"], report.sent_rows) == (
        "fuel_1_heating_value_basis"
    )
    assert field_of(["period"], report.sent_rows) == "period_end"
    assert field_of(["electricity", "grid"], report.sent_rows) == "electricity"


@pytest.fixture(scope="module")
def supplier(app, settings) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    token = make_organisation(settings, f"ui reports {uuid.uuid4().hex[:8]}")
    browser, csrf = sign_in(app, token)
    made = browser.post(
        "/ui/suppliers",
        data={"csrf_token": csrf, "name": "Gwangyang Cathode", "country": "KR"},
        follow_redirects=False,
    )
    url = made.headers["location"]
    browser.post(
        f"{url}/sites",
        data={
            "csrf_token": csrf,
            "site_name": "Gwangyang",
            "site_country": "KR",
            "site_grid_region": "KR",
        },
    )
    page = browser.get(url).text
    site_id = re.search(r'<option value="([0-9a-f-]{36})">Gwangyang</option>', page).group(1)  # type: ignore[union-attr]
    return {"browser": browser, "csrf": csrf, "url": url, "site_id": site_id, "token": token}


def _report(supplier: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        "csrf_token": supplier["csrf"],
        "site_id": supplier["site_id"],
        "product": "nmc811_cam",
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "output": "1200 t",
        "electricity": "2.4 GWh",
        **extra,
    }


def test_problems_of_a_row_are_shown_next_to_it_and_nothing_is_stored(supplier) -> None:  # type: ignore[no-untyped-def]
    answer = supplier["browser"].post(
        f"{supplier['url']}/energy-reports",
        data=_report(
            supplier,
            instrument_2_type="ppa",
            instrument_2_amount="500 kg",
            instrument_2_technology="wind",
            instrument_2_vintage_year="2024",
            instrument_2_market="KR",
            fuel_3_fuel="diesel",
            fuel_3_amount="3 parsec",
            emission_1_gas="no_such_gas",
            emission_1_amount="1 t",
        ),
    )
    assert answer.status_code == 422
    assert re.search(r'id="instrument_2_amount-error">[^<]*mass', answer.text)
    assert 'id="fuel_3_amount-error"' in answer.text
    assert re.search(r'id="emission_1_gas-error">[^<]*unknown gas', answer.text)
    assert 'value="500 kg"' in answer.text  # what was typed stays in the form
    # The lists with something typed or wrong are unfolded; the untouched ones stay folded.
    for unfolded in ("instruments", "fuels", "emissions"):
        assert f'<details id="{unfolded}" open>' in answer.text
    for folded in ("onsite", "materials"):
        assert f'<details id="{folded}">' in answer.text
    assert "No energy reports yet." in answer.text


def test_instruments_and_onsite_generation_lower_the_market_based_figure(app, supplier) -> None:  # type: ignore[no-untyped-def]
    """The same report with a 1 GWh solar PPA and 200 MWh of on-site solar: the API stores it,
    and its market-based figure is below its location-based one (Korea's grid is mostly coal
    and gas)."""
    stored = supplier["browser"].post(
        f"{supplier['url']}/energy-reports",
        data=_report(
            supplier,
            instrument_1_type="ppa",
            instrument_1_amount="1 GWh",
            instrument_1_technology="solar",
            instrument_1_vintage_year="2024",
            instrument_1_market="KR",
            onsite_1_technology="solar",
            onsite_1_amount="200 MWh",
            fuel_1_fuel="natural_gas",
            fuel_1_amount="3000 MMBtu",
            purchased_heat="500 GJ",
        ),
    )
    assert stored.status_code == 200, stored.text[-2000:]
    supplier_id = supplier["url"].rsplit("/", 1)[1]
    with TestClient(app, headers={"Authorization": f"Bearer {supplier['token']}"}) as api:
        reports = api.get(f"/v1/suppliers/{supplier_id}/energy-reports").json()["data"]
    assert len(reports) == 1
    report = reports[0]
    assert report["kg_co2e_per_kg_market_based"] < report["kg_co2e_per_kg_location_based"]
    assert f"{report['kg_co2e_per_kg_market_based']:,.3f}" in stored.text
    # The stored report can now be corrected: the form offers it.
    assert f'<option value="{report["id"]}">nmc811_cam, 2024-01-01' in stored.text


def test_the_converter_reads_fuels_and_materials_as_the_service(supplier) -> None:  # type: ignore[no-untyped-def]
    browser = supplier["browser"]

    def converted(kind: str, text: str, **row: str) -> str:
        params = {"kind": kind, "field": "q", "q": text}
        for name, value in row.items():
            params[name] = f"row_{name}"
            params[f"row_{name}"] = value
        return browser.get("/ui/quantity", params=params).text

    from lca.fuels import fuel_energy_mj

    diesel = converted("site.fuel", "80 t", fuel="diesel")
    assert f"{fuel_energy_mj('80 t', 'diesel'):,.0f}"[:5] in diesel and "MJ (LHV, diesel)" in diesel
    gas_hhv = converted("site.fuel", "1000 GJ", fuel="natural_gas", basis="HHV")
    assert f"{fuel_energy_mj('1000 GJ', 'natural_gas', 'HHV'):,.0f}"[:5] in gas_hhv
    assert "choose the material first" in converted("site.material", "900 t")
    assert "= 900,000 kg" in converted("site.material", "900 t", material="nmc811_cam")
    assert "= 0.45 kg/kWh" in converted("site.supplier_specific_rate", "450 g/kWh")
    assert 'class="error"' in converted("site.process_emission", "3 kWh")
