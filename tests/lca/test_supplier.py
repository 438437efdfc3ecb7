"""Supplier-specific processes on the toy background, worked out by hand.

Toy unit scores (kg CO2e): grid XX electricity 0.5298/kWh, wind 0.011/kWh, natural gas burned
0.0561/MJ, steel 2.6196/kg. Background nickel sulfate: 0.1 kg steel + 1.5 kWh grid + 4 MJ heat +
0.2 kg direct CO2 = 0.26196 + 0.7947 + 0.224 + 0.2 = 1.48066 per kg.
"""

from __future__ import annotations

from datetime import date

import pytest

from lca.footprint import ForegroundInput, compute, reference_score
from lca.supplier import EnergyReportData, Instrument, SupplierDataError, supplier_process


def _report(**changes):  # type: ignore[no-untyped-def]
    fields = {
        "product": "nickel_sulfate",
        "output_kg": 1000.0,
        "period_start": date(2025, 1, 1),
        "period_end": date(2025, 12, 31),
        "grid_region": "XX",
        "grid_kwh": 2000.0,
        "fuels_mj": {"natural_gas": 3000.0},
    }
    return EnergyReportData(**{**fields, **changes})


WIND = Instrument(kind="ppa", kwh=2000.0, technology="wind", vintage_year=2025, market="XX")


def test_certified_wind_makes_market_based_electricity_almost_zero(toy_background) -> None:  # type: ignore[no-untyped-def]
    """2 kWh/kg of grid electricity, all covered by wind certificates; 3 MJ/kg of gas; the
    background's steel input and direct CO2 are kept (no supplier material data):
    location = 2 × 0.5298 + 3 × 0.0561 + 0.26196 + 0.2 = 1.68986
    market   = 2 × 0.011  + 3 × 0.0561 + 0.26196 + 0.2 = 0.65226."""
    result = supplier_process(_report(instruments=(WIND,)), toy_background, "s1")
    assert result.kg_co2e_per_kg_location == pytest.approx(1.68986, rel=1e-6)
    assert result.kg_co2e_per_kg_market == pytest.approx(0.65226, rel=1e-6)
    market = [a for a in result.electricity if a.method == "market"]
    location = [a for a in result.electricity if a.method == "location"]
    assert [(a.rule, a.kwh) for a in market] == [("contractual instrument (ppa)", 2.0)]
    assert market[0].kg_co2e == pytest.approx(0.022, rel=1e-6)
    assert location[0].rule == "grid average"
    assert location[0].kg_co2e == pytest.approx(2 * 0.5298, rel=1e-6)
    assert result.upstream_basis == "background upstream, energy replaced"
    # Primary: the supplier's electricity and gas; secondary: steel and background process CO2.
    assert result.primary_kg_co2e_per_kg_location == pytest.approx(1.0596 + 0.1683, rel=1e-6)
    assert result.primary_kg_co2e_per_kg_market == pytest.approx(0.022 + 0.1683, rel=1e-6)


def test_uncovered_kwh_fall_to_residual_mix_then_grid_average(toy_background) -> None:  # type: ignore[no-untyped-def]
    """Half covered by wind: 1 kWh/kg wind (0.011) + 1 kWh/kg at XX's residual mix (0.6)."""
    half = Instrument(
        kind="unbundled_certificate",
        kwh=1000.0,
        technology="wind",
        vintage_year=2024,
        market="XX",
        certificate_type="GO",
    )
    result = supplier_process(_report(instruments=(half,)), toy_background, "s2")
    rules = {a.rule: a.kg_co2e for a in result.electricity if a.method == "market"}
    assert rules == pytest.approx(
        {"contractual instrument (unbundled_certificate)": 0.011, "residual mix": 0.6}
    )
    supplier_rate = supplier_process(
        _report(instruments=(half,), supplier_specific_kg_per_kwh=0.2), toy_background, "s3"
    )
    rules = {a.rule: a.kg_co2e for a in supplier_rate.electricity if a.method == "market"}
    assert rules["supplier-specific rate"] == pytest.approx(0.2)
    no_residual = supplier_process(_report(grid_region="YY"), toy_background, "s4")
    rules = {a.rule: a.kg_co2e for a in no_residual.electricity if a.method == "market"}
    assert rules == pytest.approx(
        {"grid average (no residual mix published)": 2 * 0.5298}, rel=1e-6
    )


def test_supplier_materials_and_process_emissions_replace_the_background(toy_background) -> None:  # type: ignore[no-untyped-def]
    """With 200 kg steel and 0.01 kg SF6 per 1000 kg: 0.2 × 2.6196 + 1e-5 × 25,200 = 0.77592,
    plus 2 × 0.5298 + 0.1683 (location)."""
    report = _report(materials_kg={"steel": 200.0}, process_emissions_kg={"sf6": 0.01})
    result = supplier_process(report, toy_background, "s5")
    assert result.upstream_basis == "supplier material inputs"
    assert result.kg_co2e_per_kg_location == pytest.approx(
        0.52392 + 0.252 + 1.0596 + 0.1683, rel=1e-6
    )


def test_a_cell_with_a_supplier_line_equals_plain_bw2calc(toy_background) -> None:  # type: ignore[no-untyped-def]
    result = supplier_process(
        _report(instruments=(WIND,), process_emissions_kg={"sf6": 0.001}), toy_background, "s6"
    )
    processes = {p.code: p for p in (result.location, result.market)}
    for process in (result.location, result.market):
        inputs = [
            ForegroundInput("ni", process.code, 0.5, "cathode", supplier="acme"),
            ForegroundInput("steel", "steel", 0.2, "casing"),
        ]
        footprint = compute(toy_background, inputs, 0.1, processes)
        assert footprint.kg_co2e == pytest.approx(
            reference_score(toy_background, inputs, processes=processes), rel=1e-9
        )
        assert footprint.lines[0].data_quality == "primary"
        assert footprint.lines[0].product == "nickel_sulfate"
        assert footprint.by_supplier == pytest.approx({"acme": footprint.lines[0].kg_co2e})
        primary = 0.5 * (
            result.primary_kg_co2e_per_kg_location
            if process is result.location
            else result.primary_kg_co2e_per_kg_market
        )
        assert footprint.primary_data_share == pytest.approx(primary / footprint.kg_co2e, rel=1e-9)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"output_kg": 0.0}, ("output", "amount"), "greater than zero"),
        ({"period_end": date(2024, 1, 1)}, ("period", "end"), "ends before it starts"),
        ({"grid_region": "MARS"}, ("electricity", "grid_region"), "unknown grid region"),
        (
            {"instruments": (Instrument("ppa", 2500.0, "wind", 2025, "XX"),)},
            ("electricity", "instruments"),
            "only 2000 kWh",
        ),
        (
            {"instruments": (Instrument("ppa", 100.0, "wind", 2021, "XX"),)},
            ("electricity", "instruments", 0, "vintage_year"),
            "outside the allowed window",
        ),
        (
            {"instruments": (Instrument("ppa", 100.0, "wind", 2025, "DE"),)},
            ("electricity", "instruments", 0, "market"),
            "same market",
        ),
        ({"fuels_mj": {"peat": 1.0}}, ("fuels", "peat"), "unknown fuel"),
        ({"product": "unobtainium"}, ("product",), "unknown material"),
        ({"process_emissions_kg": {"ozone": 1.0}}, ("process_emissions", "ozone"), "unknown gas"),
    ],
)
def test_bad_reports_name_the_field(toy_background, changes, field, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SupplierDataError) as raised:
        supplier_process(_report(**changes), toy_background, "bad")
    assert any(path == field and words in message for path, message in raised.value.problems), (
        raised.value.problems
    )
