"""Every footprint under each electricity ruleset: known answers on a BOM with a supplier PPA."""

from __future__ import annotations

from typing import Any

import pytest

PPA_REPORT = {
    "product": "nmc811_cam",
    "period": {"start": "2025-01-01", "end": "2025-12-31"},
    "output": {"amount": "1000 t"},
    "electricity": {
        "grid": "1 GWh",
        "instruments": [
            {
                "type": "ppa",
                "certificate_type": "GO",
                "amount": "400 MWh",
                "technology": "wind",
                "vintage_year": 2025,
                "market": "DE",
                "certificate_ids": ["GO-DE-2025-1"],
            }
        ],
    },
}


@pytest.fixture
def ppa_footprint(org_client, example_bom) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The example cell (plant in US-SRTV) whose cathode comes from a German site with a PPA."""
    supplier = org_client.post("/v1/suppliers", json={"name": "CAM Werk", "country": "DE"})
    assert supplier.status_code == 201, supplier.text
    supplier_id = supplier.json()["id"]
    site = org_client.post(
        f"/v1/suppliers/{supplier_id}/sites",
        json={"name": "Lausitz", "country": "DE", "grid_region": "DE"},
    )
    assert site.status_code == 201, site.text
    report = org_client.post(
        f"/v1/suppliers/{supplier_id}/energy-reports",
        json={"site_id": site.json()["id"], **PPA_REPORT},
    )
    assert report.status_code == 201, report.text
    assert example_bom["lines"][0]["material"] == "nmc811_cam"
    example_bom["lines"][0]["supplier"] = supplier_id
    bom = org_client.post("/v1/boms", json=example_bom)
    assert bom.status_code == 201, bom.text
    footprint = org_client.post(f"/v1/boms/{bom.json()['id']}/footprints")
    assert footprint.status_code == 201, footprint.text
    return dict(footprint.json())


def _by_code(footprint: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["code"]: entry for entry in footprint["electricity_rulesets"]}


def test_each_ruleset_prices_the_plant_and_the_ppa_by_its_own_rules(
    ppa_footprint, real_background
) -> None:  # type: ignore[no-untyped-def]
    """Plant: 1.819 kWh per cell in US-SRTV (residual mix 0.40992 kg/kWh, Green-e 2025).
    Supplier: 1 GWh for 1,000 t of CAM = 1 kWh/kg, 400 MWh of it a German wind PPA with its GO
    cancelled (vintage 2025, same country), the rest grid in DE (residual mix 0.7199, AIB 2023);
    the cell holds 0.3309 kg of CAM. With g = the background's grid averages and w its wind:

    * GHG Protocol location: plant 1.819 g_SRTV, CAM 0.3309 × 1 × g_DE — the headline itself;
    * GHG Protocol market: plant 1.819 × 0.40992 = 0.74564 kg (residual mix), CAM
      0.3309 × (0.4 w + 0.6 × 0.7199) (PPA, then residual mix);
    * EU draft delegated act: no contractual instruments; both at the national consumption mix
      (g_US for the plant, g_DE for CAM): headline + 1.819 × (g_US − g_SRTV);
    * JRC CFB-EV: as GHG Protocol market (PPA accepted, residual mix first);
    * hourly draft: no hourly consumption of the plant is known, so not applicable.

    Each figure = headline + the difference from the location-based pricing of those kWh. With
    the open background's g_SRTV 0.48246, g_US 0.41849, g_DE 0.40861, w 0.011 kg/kWh:
    market = headline + 1.819 × (0.40992 − 0.48246) + 0.3309 × (0.0044 + 0.43194 − 0.40861)
    = headline − 0.13195 + 0.00918 = headline − 0.12277; EU = headline + 1.819 × (0.41849 −
    0.48246) = headline − 0.11636."""
    score = real_background.unit_score
    g_srtv, g_us = score("electricity_grid_us_srtv"), score("electricity_grid_us")
    g_de, wind = score("electricity_grid_de"), score("electricity_wind")
    headline = ppa_footprint["kg_co2e_per_cell"]
    rulesets = _by_code(ppa_footprint)
    assert ppa_footprint["headline_ruleset"] == "ghgp-scope2-location/2015"
    assert set(rulesets) == {
        "ghgp-scope2-location",
        "ghgp-scope2-market",
        "eu-cfb-ev-delegated-act-draft",
        "jrc-cfb-ev",
        "ghgp-scope2-hourly",
    }
    assert rulesets["ghgp-scope2-location"]["kg_co2e_per_cell"] == pytest.approx(headline, 1e-12)
    market = headline + 1.819 * (0.40992 - g_srtv) + 0.3309 * (0.4 * wind + 0.6 * 0.7199 - g_de)
    assert rulesets["ghgp-scope2-market"]["kg_co2e_per_cell"] == pytest.approx(market, 1e-9)
    assert market - headline == pytest.approx(-0.12277, abs=5e-5)
    assert rulesets["jrc-cfb-ev"]["kg_co2e_per_cell"] == pytest.approx(market, 1e-9)
    eu = headline + 1.819 * (g_us - g_srtv)
    assert eu - headline == pytest.approx(-0.11636, abs=5e-5)
    assert rulesets["eu-cfb-ev-delegated-act-draft"]["kg_co2e_per_cell"] == pytest.approx(eu, 1e-9)
    assert rulesets["eu-cfb-ev-delegated-act-draft"]["status"] == "draft"
    assert rulesets["ghgp-scope2-location"]["status"] == "final"
    hourly = rulesets["ghgp-scope2-hourly"]
    assert hourly["applicable"] is False and hourly["kg_co2e_per_cell"] is None
    assert "hourly" in " ".join(hourly["explanation"])
    for entry in rulesets.values():
        if entry["applicable"]:
            assert entry["kg_co2e_per_kwh"] == pytest.approx(entry["kg_co2e_per_cell"] / 0.219)
        assert entry["electricity_kwh_per_cell"] == pytest.approx(1.819 + 0.3309 * 1.0)
    explained = " ".join(rulesets["eu-cfb-ev-delegated-act-draft"]["explanation"])
    assert "a power purchase agreement is not counted" in explained
    assert "section 2.4.1" in explained


def test_headline_figures_do_not_change(ppa_footprint, org_client) -> None:  # type: ignore[no-untyped-def]
    """The rulesets sit beside the figures; the stored footprint reads back the same."""
    again = org_client.get(f"/v1/footprints/{ppa_footprint['id']}").json()
    assert again == ppa_footprint
    location = _by_code(again)["ghgp-scope2-location"]
    assert location["change_by_stage"] == pytest.approx(
        {stage: 0.0 for stage in location["change_by_stage"]}, abs=1e-12
    )


def test_a_ppa_without_cancelled_certificates_counts_in_no_market_ruleset(
    org_client, example_bom, real_background
) -> None:  # type: ignore[no-untyped-def]
    """The same PPA with no certificate ids recorded: not cancelled for the consumer, so the
    GHG Protocol market method and JRC CFB-EV refuse it (Scope 2 Table 7.1; PEF 4.4.2) and all
    1 kWh/kg of the CAM takes the German residual mix: market = headline + 1.819 × (0.40992 −
    g_SRTV) + 0.3309 × (0.7199 − g_DE) = headline − 0.13195 + 0.10301 = headline − 0.02894."""
    instruments = [{**PPA_REPORT["electricity"]["instruments"][0], "certificate_ids": []}]  # type: ignore[index]
    report = {**PPA_REPORT, "electricity": {"grid": "1 GWh", "instruments": instruments}}
    supplier = org_client.post("/v1/suppliers", json={"name": "CAM Werk", "country": "DE"}).json()
    site = org_client.post(
        f"/v1/suppliers/{supplier['id']}/sites",
        json={"name": "Lausitz", "country": "DE", "grid_region": "DE"},
    ).json()
    posted = org_client.post(
        f"/v1/suppliers/{supplier['id']}/energy-reports", json={"site_id": site["id"], **report}
    )
    assert posted.status_code == 201, posted.text
    example_bom["lines"][0]["supplier"] = supplier["id"]
    bom = org_client.post("/v1/boms", json=example_bom).json()
    footprint = org_client.post(f"/v1/boms/{bom['id']}/footprints").json()
    score = real_background.unit_score
    g_srtv, g_de = score("electricity_grid_us_srtv"), score("electricity_grid_de")
    headline = footprint["kg_co2e_per_cell"]
    market = headline + 1.819 * (0.40992 - g_srtv) + 0.3309 * (0.7199 - g_de)
    assert market - headline == pytest.approx(-0.02894, abs=5e-5)
    rulesets = _by_code(footprint)
    for code in ("ghgp-scope2-market", "jrc-cfb-ev"):
        assert rulesets[code]["kg_co2e_per_cell"] == pytest.approx(market, 1e-9), code
        assert "not cancelled" in " ".join(rulesets[code]["explanation"]), code
