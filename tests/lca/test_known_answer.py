"""Known-answer tests on the toy background of ``tests/toy.py``.

bw2data stores matrix values as float32, so hand-computed results hold to ~1e-7 relative; the
engine and a plain ``bw2calc.LCA`` read the same stored values and agree to 1e-12.
"""

from __future__ import annotations

import pytest

from lca.footprint import STAGE_PRODUCTION, ForegroundInput, compute, reference_score


def test_unit_scores_worked_out_by_hand(toy_background) -> None:  # type: ignore[no-untyped-def]
    """Electricity: 0.5 kg CO2 + 1 g CH4 × 29.8 = 0.5298 kg CO2e per kWh.
    Heat: 56 g CO2 = 0.056 kg CO2e per MJ.
    Steel: 2 kWh × 0.5298 + 0.01 GJ (= 10 MJ) × 0.056 + 1.0 direct = 2.6196 kg CO2e per kg.
    Solvent: 5 MJ × 0.056 = 0.28, and its 0.3 kg biogenic CO2 counts 0 in GWP100.
    """
    assert toy_background.unit_score("electricity_grid_xx") == pytest.approx(0.5298, rel=1e-7)
    assert toy_background.unit_score("heat_natural_gas") == pytest.approx(0.056, rel=1e-7)
    assert toy_background.unit_score("steel") == pytest.approx(2.6196, rel=1e-7)
    assert toy_background.unit_score("solvent") == pytest.approx(0.28, rel=1e-7)
    assert toy_background.unit_score("solvent", "biogenic_co2_emission_kg") == pytest.approx(0.3)
    # GWP20 of electricity: 0.5 + 0.001 × 82.5 = 0.5825
    assert toy_background.unit_score("electricity_grid_xx", "gwp20") == pytest.approx(0.5825)


def test_cell_footprint_worked_out_by_hand(toy_background) -> None:  # type: ignore[no-untyped-def]
    """A 'cell' of 0.3 kg steel (two lines) and 0.9 kWh of plant electricity:
    0.3 × 2.6196 + 0.9 × 0.5298 = 0.78588 + 0.47682 = 1.2627 kg CO2e; 219 Wh → 5.7658 kg/kWh.
    By gas: CH4 = (0.3 × 2 + 0.9) kWh × 0.001 kg × 29.8 = 0.0447; the rest is fossil CO2.
    """
    inputs = [
        ForegroundInput("a", "steel", 0.2, "casing"),
        ForegroundInput("b", "steel", 0.1, "casing"),
        ForegroundInput("c", "electricity_grid_xx", 0.9, "plant", STAGE_PRODUCTION),
    ]
    result = compute(toy_background, inputs, nominal_energy_kwh=0.219)
    assert result.kg_co2e == pytest.approx(1.2627, rel=1e-7)
    assert result.kg_co2e_per_kwh == pytest.approx(1.2627 / 0.219, rel=1e-7)
    assert result.by_component == pytest.approx({"casing": 0.78588, "plant": 0.47682}, rel=1e-7)
    assert result.by_gas["ch4"] == pytest.approx(0.0447, rel=1e-6)
    assert result.by_gas["co2_fossil"] == pytest.approx(1.2627 - 0.0447, rel=1e-6)
    assert sum(line.kg_co2e for line in result.lines) == pytest.approx(result.kg_co2e, rel=1e-12)
    assert sum(result.by_gas.values()) == pytest.approx(result.kg_co2e, rel=1e-12)


def test_engine_equals_plain_bw2calc(toy_background) -> None:  # type: ignore[no-untyped-def]
    inputs = [
        ForegroundInput("a", "steel", 0.2, "casing"),
        ForegroundInput("b", "solvent", 0.05, "electrolyte"),
        ForegroundInput("c", "steel", 0.1, "casing"),
        ForegroundInput("d", "heat_natural_gas", 2.5, "plant", STAGE_PRODUCTION),
    ]
    result = compute(toy_background, inputs, nominal_energy_kwh=0.2)
    assert result.kg_co2e == pytest.approx(reference_score(toy_background, inputs), rel=1e-9)
    assert result.kg_co2e_gwp20 == pytest.approx(
        reference_score(toy_background, inputs, "gwp20"), rel=1e-9
    )
