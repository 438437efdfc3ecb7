"""The 1-kWh design-study cells built from premise's inventories (data/examples/*_design.json).

Published models (GREET 2024 pack materials: LFP 41.79, NMC622 50.53, NMC811 49.97 kg CO2e/kWh;
Peiseler et al. 2024: LFP 54–69, NMC811 59–115) put LFP below NMC per kWh and order the NMC
cells by nickel content (NMC111 > NMC622 > NMC811, as less cathode is needed per kWh).
"""

from __future__ import annotations

import pytest

from lca.validation import DESIGN_STUDY_SUFFIX, example_boms, footprint_in

EXAMPLES = example_boms()
DESIGN = sorted(name for name in EXAMPLES if name.endswith(DESIGN_STUDY_SUFFIX))
REGIONS = ("CN", "KR", "SE")


def _per_kwh(background, name: str, region: str) -> float:  # type: ignore[no-untyped-def]
    return footprint_in(background, EXAMPLES[name], region).kg_co2e_per_kwh


def test_the_four_design_study_cells_exist_at_one_kwh() -> None:
    assert DESIGN == ["lfp_design", "nmc111_design", "nmc622_design", "nmc811_design"]
    for name in DESIGN:
        cell = EXAMPLES[name]["cell"]
        ah, volts = (
            float(cell["nominal_capacity"].split()[0]),
            float(cell["nominal_voltage"].split()[0]),
        )
        assert ah * volts == pytest.approx(1000.0, rel=1e-4)
        assert all(
            "premise" in line["source"] or "estimate" in line["source"]
            for line in EXAMPLES[name]["lines"]
        )


@pytest.mark.parametrize("name", DESIGN)
def test_regional_spread_se_below_kr_below_cn(real_background, name: str) -> None:  # type: ignore[no-untyped-def]
    """The plant's grid: SE 0.03, KR 0.49, CN 0.61 kg CO2e/kWh at the consumer, so the plant
    electricity line follows SE < KR < CN. Plant heat in KR burns regasified LNG: 0.008894 kg
    CO2e/MJ more than pipeline gas (0.019556 − 0.010662 kg CO2e/MJ supplied), which for these
    heat-heavy inventories brings the whole KR cell level with (or just above) the CN one."""
    results = {r: footprint_in(real_background, EXAMPLES[name], r) for r in REGIONS}

    def line(region: str, prefix: str):  # type: ignore[no-untyped-def]
        return next(x for x in results[region].lines if x.label.startswith(prefix))

    electricity = {r: line(r, "plant electricity").kg_co2e for r in REGIONS}
    assert electricity["SE"] < electricity["KR"] < electricity["CN"]
    per_kwh = {r: results[r].kg_co2e_per_kwh for r in REGIONS}
    assert per_kwh["SE"] < min(per_kwh["KR"], per_kwh["CN"])
    heat_kr, heat_cn = line("KR", "plant heat"), line("CN", "plant heat")
    assert heat_kr.product == "natural_gas_burned_industrial_lng"
    assert heat_kr.kg_co2e - heat_cn.kg_co2e == pytest.approx(heat_cn.amount * 0.008894, rel=1e-3)


@pytest.mark.parametrize("region", REGIONS)
def test_nmc_cells_ordered_by_nickel_content(real_background, region: str) -> None:  # type: ignore[no-untyped-def]
    nmc111, nmc622, nmc811 = (
        _per_kwh(real_background, f"{chem}_design", region)
        for chem in ("nmc111", "nmc622", "nmc811")
    )
    assert nmc111 > nmc622 > nmc811


# Ours puts the LFP design cell above NMC622 and NMC811 in every region (CN 86.4 vs 73.5 / 67.3
# at the time of writing): the LFP inventory's plant electricity (25 kWh per kWh), its 8 % PVDF
# binder and LFP's larger foil/electrolyte mass per kWh, on top of lfp_cam at 10.3 kg CO2e/kg,
# which has no published per-kg figure beside it yet. See data/VALIDATION.md. strict=True: this
# flips the day the data puts LFP below NMC.
@pytest.mark.xfail(strict=True, reason="LFP design cell above NMC622/NMC811: data/VALIDATION.md")
@pytest.mark.parametrize("region", REGIONS)
def test_lfp_below_nmc_per_kwh_as_published_models_say(real_background, region: str) -> None:  # type: ignore[no-untyped-def]
    lfp = _per_kwh(real_background, "lfp_design", region)
    assert lfp < _per_kwh(real_background, "nmc622_design", region)
    assert lfp < _per_kwh(real_background, "nmc811_design", region)
