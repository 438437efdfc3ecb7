"""Electricity rulesets on one plant, worked out by hand.

The plant: 1,000 MWh consumed in Sweden (bidding zone SE3) in 2025. A wind PPA delivers 600 MWh
from a farm in SE3, its guarantees of origin cancelled for the plant. Factors (kg CO2e/kWh):
grid average 0.041, residual mix 0.068 (AIB 2023 gives 0.06823 for SE), national consumption mix
0.045 (an illustrative value, distinct from the grid average so the tests can tell them apart),
wind 0.011 (IPCC AR5 WG3 Annex III median, onshore). Hours: four of 250 MWh each; the PPA
generates 300 MWh in each of the first two and nothing in the last two.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from lca.rulesets import (
    ClaimedInstrument,
    ConsumptionRecord,
    GridFactors,
    RulesetInputError,
    UnknownRuleset,
    evaluate,
    evaluate_all,
    figures,
    load_rulesets,
)

MWH = 1000.0
CATALOGUE = load_rulesets()
LOCATION = CATALOGUE.get("ghgp-scope2-location")
MARKET = CATALOGUE.get("ghgp-scope2-market")
EU_DRAFT = CATALOGUE.get("eu-cfb-ev-delegated-act-draft")
JRC = CATALOGUE.get("jrc-cfb-ev")
HOURLY = CATALOGUE.get("ghgp-scope2-hourly")

PPA = ClaimedInstrument(
    name="wind PPA, SE3",
    kind="ppa",
    kwh=600 * MWH,
    kg_co2e_per_kwh=0.011,
    technology="wind",
    country="SE",
    bidding_zone="SE3",
    vintage_year=2025,
    certificate_status="cancelled",
    certificate_type="GO",
    certificate_ids=("SE-GO-2025-0001",),
    hourly_kwh={0: 300 * MWH, 1: 300 * MWH, 2: 0.0, 3: 0.0},
)
PLANT = ConsumptionRecord(
    kwh=1000 * MWH,
    grid_region="SE",
    country="SE",
    bidding_zone="SE3",
    period_start=date(2025, 1, 1),
    period_end=date(2025, 12, 31),
    factors=GridFactors(
        grid_average_kg_per_kwh=0.041,
        residual_mix_kg_per_kwh=0.068,
        national_consumption_mix_kg_per_kwh=0.045,
    ),
    instruments=(PPA,),
    hourly_kwh={hour: 250 * MWH for hour in range(4)},
)


def _basis(result) -> dict[str, float]:  # type: ignore[no-untyped-def]
    kwh: dict[str, float] = {}
    for allocation in result.allocations:
        kwh[allocation.basis] = kwh.get(allocation.basis, 0.0) + allocation.kwh
    return kwh


def test_location_based_prices_every_grid_kwh_at_the_grid_average() -> None:
    """1,000,000 kWh × 0.041 = 41,000 kg; the PPA is not used (and the result says why)."""
    result = evaluate(LOCATION, PLANT)
    assert result.kg_co2e == pytest.approx(41_000.0)
    assert result.kg_co2e_per_kwh == pytest.approx(0.041)
    (decision,) = result.instruments
    assert not decision.accepted and "location-based method does not use" in decision.reasons[0]


def test_market_based_counts_the_ppa_then_the_residual_mix() -> None:
    """600,000 × 0.011 + 400,000 × 0.068 = 6,600 + 27,200 = 33,800 kg."""
    result = evaluate(MARKET, PLANT)
    assert result.kg_co2e == pytest.approx(33_800.0)
    assert _basis(result) == pytest.approx({"instrument": 600_000.0, "residual_mix": 400_000.0})
    assert result.instruments[0].accepted and result.instruments[0].kwh_used == 600_000.0


def test_eu_draft_delegated_act_ignores_the_ppa_and_uses_the_national_mix() -> None:
    """The draft recognises no grid-delivered PPA: 1,000,000 × 0.045 = 45,000 kg, and the
    result says that the text is a draft."""
    result = evaluate(EU_DRAFT, PLANT)
    assert result.kg_co2e == pytest.approx(45_000.0)
    assert _basis(result) == {"national_consumption_mix": 1_000_000.0}
    (decision,) = result.instruments
    assert not decision.accepted and "section 2.4.1" in decision.reasons[0]
    assert any("draft" in note for note in result.notes)


def test_eu_draft_without_a_national_mix_falls_back_to_the_grid_average() -> None:
    """No national consumption mix given: 1,000,000 × 0.041 = 41,000 kg, and the explanation
    names the missing factor."""
    record = replace(
        PLANT, factors=replace(PLANT.factors, national_consumption_mix_kg_per_kwh=None)
    )
    result = evaluate(EU_DRAFT, record)
    assert result.kg_co2e == pytest.approx(41_000.0)
    assert "no national consumption mix" in result.allocations[0].why


def test_eu_draft_counts_on_site_solar_whose_certificates_were_kept() -> None:
    """100 MWh of on-site solar (0.048 kg/kWh, IPCC AR5 utility PV) plus 900 MWh from the grid
    at the national mix: 100,000 × 0.048 + 900,000 × 0.045 = 4,800 + 40,500 = 45,300 kg."""
    solar = ClaimedInstrument("roof PV", "onsite", 100 * MWH, 0.048, "solar", "SE", "SE3")
    result = evaluate(EU_DRAFT, replace(PLANT, instruments=(solar, PPA)))
    assert result.kg_co2e == pytest.approx(45_300.0)
    assert [d.accepted for d in result.instruments] == [True, False]


def test_on_site_generation_whose_certificates_were_sold_is_null_power() -> None:
    """The same solar with its GOs sold takes the residual mix in the market-based method:
    100,000 × 0.068 + 600,000 × 0.011 + 300,000 × 0.068 = 6,800 + 6,600 + 20,400 = 33,800 kg;
    location-based still prices it at the generator's rate: 100,000 × 0.048 + 900,000 × 0.041
    = 4,800 + 36,900 = 41,700 kg."""
    solar = ClaimedInstrument(
        "roof PV", "onsite", 100 * MWH, 0.048, "solar", "SE", "SE3", certificate_status="sold"
    )
    record = replace(PLANT, instruments=(solar, PPA))
    market = evaluate(MARKET, record)
    assert market.kg_co2e == pytest.approx(33_800.0)
    assert "sold to another party" in market.instruments[0].reasons[0]
    assert evaluate(LOCATION, record).kg_co2e == pytest.approx(41_700.0)


def test_jrc_hierarchy_counts_the_ppa_like_the_market_based_method() -> None:
    """Same criteria met: 6,600 + 27,200 = 33,800 kg."""
    assert evaluate(JRC, PLANT).kg_co2e == pytest.approx(33_800.0)


def test_without_a_residual_mix_jrc_and_market_based_fall_back_differently() -> None:
    """No residual mix (as in KR, CN, JP): the 400,000 uncovered kWh take the national
    consumption mix under the JRC/PEF rule (6,600 + 400,000 × 0.045 = 24,600 kg) and the grid
    average under Scope 2 (6,600 + 400,000 × 0.041 = 23,000 kg, flagged as possibly double
    counting); the hourly draft allows neither, so it cannot be applied."""
    record = replace(PLANT, factors=replace(PLANT.factors, residual_mix_kg_per_kwh=None))
    jrc, market, hourly = evaluate_all((JRC, MARKET, HOURLY), record)
    assert jrc.kg_co2e == pytest.approx(24_600.0)
    assert market.kg_co2e == pytest.approx(23_000.0)
    assert "count again" in market.allocations[-1].why
    assert not hourly.applicable and hourly.kg_co2e is None
    assert "no residual mix or fossil-fuel fallback factor" in hourly.notes[0]


def test_hourly_matching_loses_the_surplus_of_each_hour() -> None:
    """Hours 0 and 1: 300 MWh of wind against 250 MWh of load, 250 matched and 50 lost each;
    hours 2 and 3: no wind. Matched 500,000 kWh × 0.011 + 500,000 × 0.068 = 5,500 + 34,000
    = 39,500 kg, against 33,800 kg with annual matching."""
    result = evaluate(HOURLY, PLANT)
    assert result.kg_co2e == pytest.approx(39_500.0)
    (decision,) = result.instruments
    assert decision.kwh_used == pytest.approx(500_000.0)
    assert "100000 kWh fell in hours without consumption" in decision.reasons[0]


def test_hourly_matching_needs_hours_and_a_deliverable_generator() -> None:
    """Without metered hours the hourly ruleset is not applicable; a PPA from SE4 is not
    deliverable to SE3, so all 1,000,000 kWh take the residual mix: 68,000 kg."""
    no_hours = evaluate(HOURLY, replace(PLANT, hourly_kwh=None))
    assert not no_hours.applicable and "no hourly consumption" in no_hours.notes[0]
    other_zone = replace(PLANT, instruments=(replace(PPA, bidding_zone="SE4"),))
    result = evaluate(HOURLY, other_zone)
    assert result.kg_co2e == pytest.approx(68_000.0)
    assert "not deliverable" in result.instruments[0].reasons[0]
    # Annual Scope 2 (same-market = same country) still accepts it: 33,800 kg.
    assert evaluate(MARKET, other_zone).kg_co2e == pytest.approx(33_800.0)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"certificate_status": "not_cancelled"}, "not cancelled"),
        ({"certificate_status": "none_issued"}, "no certificate was issued"),
        ({"country": "NO", "bidding_zone": "NO1"}, "not the same market"),
        ({"vintage_year": 2022}, "vintage 2022 is outside 2024–2026"),
        ({"vintage_year": None}, "no vintage year"),
    ],
)
def test_market_based_rejects_instruments_that_fail_a_quality_criterion(
    change: dict[str, object], reason: str
) -> None:
    """A rejected PPA leaves all 1,000,000 kWh on the residual mix: 68,000 kg."""
    record = replace(PLANT, instruments=(replace(PPA, **change),))  # type: ignore[arg-type]
    for ruleset in (MARKET, JRC):
        result = evaluate(ruleset, record)
        assert result.kg_co2e == pytest.approx(68_000.0)
        assert reason in " ".join(result.instruments[0].reasons)


def test_the_same_certificates_cannot_be_claimed_twice() -> None:
    """Two PPAs naming the same GO: the second is rejected, so 600,000 × 0.011 + 400,000 ×
    0.068 = 33,800 kg, not 1,000,000 × 0.011."""
    record = replace(PLANT, instruments=(PPA, replace(PPA, name="copy")))
    result = evaluate(MARKET, record)
    assert result.kg_co2e == pytest.approx(33_800.0)
    assert "double counting" in result.instruments[1].reasons[0]


def test_supplier_mix_comes_after_certificates_and_excess_volume_is_unused() -> None:
    """A supplier mix of 0.030 for 1,000 MWh listed before the PPA: the PPA is applied first
    (600,000 × 0.011 = 6,600), the supplier mix covers the 400,000 left (× 0.030 = 12,000) and
    600,000 kWh of it are unused: 18,600 kg."""
    tariff = ClaimedInstrument("utility mix", "supplier_mix", 1000 * MWH, 0.030, country="SE")
    result = evaluate(MARKET, replace(PLANT, instruments=(tariff, PPA)))
    assert result.kg_co2e == pytest.approx(18_600.0)
    assert result.instruments[0].kwh_used == pytest.approx(400_000.0)
    assert "600000 kWh exceed" in result.instruments[0].reasons[0]


def test_every_problem_of_a_bad_record_is_reported_at_once() -> None:
    bad = replace(
        PLANT,
        kwh=-1.0,
        period_end=date(2024, 1, 1),
        instruments=(replace(PPA, kind="rec", certificate_status="maybe", kwh=float("nan")),),
    )
    with pytest.raises(RulesetInputError) as caught:
        evaluate(MARKET, bad)
    paths = {path for path, _ in caught.value.problems}
    assert {
        ("kwh",),
        ("period_end",),
        ("instruments", 0, "kind"),
        ("instruments", 0, "kwh"),
        ("instruments", 0, "certificate_status"),
    } <= paths


def test_hourly_profiles_must_add_up_to_the_totals() -> None:
    with pytest.raises(RulesetInputError) as caught:
        evaluate(HOURLY, replace(PLANT, hourly_kwh={0: 1.0}))
    assert caught.value.problems[0][0] == ("hourly_kwh",)


def test_on_site_supply_cannot_exceed_consumption() -> None:
    solar = ClaimedInstrument("roof PV", "onsite", 2000 * MWH, 0.048, "solar", "SE")
    with pytest.raises(RulesetInputError, match="exceeds the 1e\\+06 kWh consumed"):
        evaluate(MARKET, replace(PLANT, instruments=(solar,)))


def test_catalogue_names_each_ruleset_with_its_version_status_and_citations() -> None:
    keys = {r.key for r in CATALOGUE.rulesets}
    assert keys == {
        "ghgp-scope2-location/2015",
        "ghgp-scope2-market/2015",
        "eu-cfb-ev-delegated-act-draft/2024-04",
        "jrc-cfb-ev/2023",
        "ghgp-scope2-hourly/2025-consultation",
    }
    assert CATALOGUE.regulatory_ruleset is EU_DRAFT
    assert EU_DRAFT.status == "draft" and "Ares(2024)3131389" in EU_DRAFT.document
    for ruleset in CATALOGUE.rulesets:
        assert ruleset.citations.get("method"), ruleset.key
    with pytest.raises(UnknownRuleset):
        CATALOGUE.get("ghgp-scope2-market/1999")


def test_a_ruleset_file_with_an_unknown_fallback_is_refused(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "data" / "rulesets" / "rulesets.json"
    (tmp_path / "rulesets").mkdir()
    text = source.read_text(encoding="utf-8").replace('"grid_average"]', '"guesswork"]', 1)
    (tmp_path / "rulesets" / "rulesets.json").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="fallback 'guesswork'"):
        load_rulesets(tmp_path)


def test_figures_store_every_ruleset_and_name_the_headline() -> None:
    """Per kWh: location 0.041, market and JRC 0.0338, EU draft 0.045, hourly 0.0395 (the
    known answers above over 1,000,000 kWh); the stored data survive a JSON round trip."""
    stored = figures(evaluate_all(CATALOGUE.rulesets, PLANT), CATALOGUE.regulatory)
    assert stored["headline"] == "eu-cfb-ev-delegated-act-draft/2024-04"
    assert stored["kg_co2e_per_kwh"] == pytest.approx(
        {
            "ghgp-scope2-location/2015": 0.041,
            "ghgp-scope2-market/2015": 0.0338,
            "eu-cfb-ev-delegated-act-draft/2024-04": 0.045,
            "jrc-cfb-ev/2023": 0.0338,
            "ghgp-scope2-hourly/2025-consultation": 0.0395,
        }
    )
    assert json.loads(json.dumps(stored)) == stored


def test_a_headline_that_cannot_be_applied_is_refused() -> None:
    results = evaluate_all(CATALOGUE.rulesets, replace(PLANT, hourly_kwh=None))
    with pytest.raises(ValueError, match="cannot be applied"):
        figures(results, "ghgp-scope2-hourly")
    with pytest.raises(ValueError, match="not among the results"):
        figures(results, "ghgp-scope3")


# --- records from a background and supplier reports (toy background, see tests/toy.py) --------
# Toy unit scores (kg CO2e/kWh): grid XX 0.5298, wind 0.011; XX residual mix 0.6; YY has none.


def test_grid_factors_come_from_the_background_and_the_regions_file(toy_background) -> None:  # type: ignore[no-untyped-def]
    from lca.rulesets.inputs import grid_factors

    xx = grid_factors(toy_background, "XX")
    assert xx.grid_average_kg_per_kwh == pytest.approx(0.5298, rel=1e-6)
    assert xx.residual_mix_kg_per_kwh == 0.6
    # XX is a national region: its own grid activity is the national mix.
    assert xx.national_consumption_mix_kg_per_kwh == pytest.approx(0.5298, rel=1e-6)
    assert grid_factors(toy_background, "YY").residual_mix_kg_per_kwh is None


def _energy_report(**changes):  # type: ignore[no-untyped-def]
    from lca.supplier import EnergyReportData, Instrument

    wind = Instrument(kind="ppa", kwh=2000.0, technology="wind", vintage_year=2025, market="XX")
    fields = {
        "product": "nickel_sulfate",
        "output_kg": 1000.0,
        "period_start": date(2025, 1, 1),
        "period_end": date(2025, 12, 31),
        "grid_region": "XX",
        "grid_kwh": 2000.0,
        "instruments": (wind,),
        "onsite_kwh": {"wind": 500.0},
    }
    return EnergyReportData(**{**fields, **changes})


def test_supplier_report_instruments_need_recorded_cancellation(toy_background) -> None:  # type: ignore[no-untyped-def]
    """2,000 kWh from the grid plus 500 kWh of on-site wind; a 2,000 kWh wind PPA.
    Without certificate ids the PPA is rejected under Scope 2 market-based:
    500 × 0.011 + 2,000 × 0.6 = 5.5 + 1,200 = 1,205.5 kg; with them it covers the grid kWh:
    500 × 0.011 + 2,000 × 0.011 = 27.5 kg. Location-based and the EU draft (national mix = the
    XX grid): 5.5 + 2,000 × 0.5298 = 1,065.1 kg."""
    from lca.rulesets.inputs import record_from_energy_report

    record = record_from_energy_report(_energy_report(), toy_background)
    assert record.kwh == 2500.0
    market, location, eu = evaluate_all((MARKET, LOCATION, EU_DRAFT), record)
    assert market.kg_co2e == pytest.approx(1205.5, rel=1e-6)
    assert "not cancelled" in market.instruments[1].reasons[0]
    assert location.kg_co2e == pytest.approx(1065.1, rel=1e-6)
    assert eu.kg_co2e == pytest.approx(1065.1, rel=1e-6)
    report = _energy_report()
    evidenced = replace(
        report, instruments=(replace(report.instruments[0], certificate_ids=("XX-1",)),)
    )
    record = record_from_energy_report(evidenced, toy_background)
    assert evaluate(MARKET, record).kg_co2e == pytest.approx(27.5, rel=1e-6)


def test_supplier_rate_covers_the_grid_kwh_the_instruments_leave(toy_background) -> None:  # type: ignore[no-untyped-def]
    """No instruments, a utility rate of 0.2 in YY (no residual mix): 2,000 × 0.2 = 400 kg
    plus 500 × 0.011 = 5.5 on site, 405.5 kg under Scope 2 market-based."""
    from lca.rulesets.inputs import record_from_energy_report

    report = _energy_report(grid_region="YY", instruments=(), supplier_specific_kg_per_kwh=0.2)
    result = evaluate(MARKET, record_from_energy_report(report, toy_background))
    assert result.kg_co2e == pytest.approx(405.5, rel=1e-6)
