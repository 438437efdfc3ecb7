"""The 1-kWh design-study cells built from premise's inventories (data/examples/*_design.json).

Published models (GREET 2024 pack materials: LFP 41.79, NMC622 50.53, NMC811 49.97 kg CO2e/kWh;
Peiseler et al. 2024: LFP 54–69, NMC811 59–115) put LFP below NMC per kWh and order the NMC
cells by nickel content (NMC111 > NMC622 > NMC811, as less cathode is needed per kWh).
"""

from __future__ import annotations

import pytest

from lca.validation import DESIGN_STUDY_SUFFIX, example_boms, footprint_in, published_ranges
from lca.validation_design import greet_split_rows, greet_split_table, national_pack_figures

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


# GREET 2024 (pack materials), Peiseler et al. 2024 and ADEME's Base Empreinte (car packs per
# country) put LFP below NMC811 per kWh; Hao et al. 2017, Benchmark (2023) and S&P Global (2024)
# put it above. Ours puts the LFP design cell below NMC111 and above NMC811 in every region,
# above NMC622 in CN and KR and below it in SE (CN 90.9
# against 104.6 / 72.0 / 81.1, SE 76.5 against 99.9 / 68.8 / 77.6 at the time of writing). The
# tests below hold the order we get and the reason for it, read off the lines, instead of expecting
# a failure: the cathode material is not the cause (LFP's CAM line per kWh is below NMC811's, as
# GREET has it); the Crenna et al. 2021 LFP inventory's extra inactive material per kWh (8 % PVDF
# binder, 3.5x the aluminium foil, twice the electrolyte) more than cancels that advantage, and
# with its 25 kWh of plant electricity per kWh (4.6x the Dai et al. NMC811 inventory's) carries
# more than the whole gap. See data/VALIDATION.md. If a data change ever puts LFP below NMC811,
# these fail and the GREET order becomes the test.
INACTIVE = ("pvdf", "aluminium_foil", "copper_foil", "electrolyte_lipf6", "separator_pe_coated")


def _by_product(result) -> tuple[dict[str, float], dict[str, float]]:  # type: ignore[no-untyped-def]
    """(kg CO2e per kWh, amount per kWh) by product, plant electricity under 'plant electricity'."""
    co2e: dict[str, float] = {}
    amount: dict[str, float] = {}
    for line in result.lines:
        key = "plant electricity" if line.label.startswith("plant electricity") else line.product
        co2e[key] = co2e.get(key, 0.0) + line.kg_co2e / result.nominal_energy_kwh
        amount[key] = amount.get(key, 0.0) + line.amount / result.nominal_energy_kwh
    return co2e, amount


@pytest.mark.parametrize("region", REGIONS)
def test_lfp_between_nmc811_and_nmc111_per_kwh(real_background, region: str) -> None:  # type: ignore[no-untyped-def]
    """NMC622 sits within 15 % of LFP: above it where the LFP inventory's 25 kWh of plant
    electricity meets a clean grid (SE), below it on the CN and KR grids."""
    lfp = _per_kwh(real_background, "lfp_design", region)
    assert _per_kwh(real_background, "nmc811_design", region) < lfp
    assert lfp < _per_kwh(real_background, "nmc111_design", region)
    nmc622 = _per_kwh(real_background, "nmc622_design", region)
    assert (nmc622 > lfp) if region == "SE" else (nmc622 < lfp)
    assert nmc622 == pytest.approx(lfp, rel=0.15)


@pytest.mark.parametrize("region", REGIONS)
def test_lfp_above_nmc811_for_its_inactive_material_not_its_cathode(  # type: ignore[no-untyped-def]
    real_background, region: str
) -> None:
    lfp = footprint_in(real_background, EXAMPLES["lfp_design"], region)
    nmc = footprint_in(real_background, EXAMPLES["nmc811_design"], region)
    (lfp_co2e, lfp_amount), (nmc_co2e, nmc_amount) = _by_product(lfp), _by_product(nmc)
    gap = lfp.kg_co2e_per_kwh - nmc.kg_co2e_per_kwh
    assert gap > 0
    # The cathode material per kWh is lower for LFP, as in GREET.
    assert lfp_co2e["lfp_cam"] < nmc_co2e["nmc811_cam"]
    # More binder, foil and electrolyte per kWh in the LFP inventory, and more plant electricity.
    for product in ("pvdf", "aluminium_foil", "electrolyte_lipf6", "plant electricity"):
        assert lfp_amount[product] > 1.9 * nmc_amount[product], product
    # The extra inactive material alone more than cancels LFP's cathode advantage, and with the
    # extra plant electricity it carries more than the whole gap.
    inactive = sum(lfp_co2e.get(p, 0.0) - nmc_co2e.get(p, 0.0) for p in INACTIVE)
    electricity = lfp_co2e["plant electricity"] - nmc_co2e["plant electricity"]
    assert inactive > nmc_co2e["nmc811_cam"] - lfp_co2e["lfp_cam"]
    assert inactive + electricity > gap


def test_split_against_greet_adds_up_and_moves_only_the_plant_energy(real_background) -> None:  # type: ignore[no-untyped-def]
    """Materials (every line but plant electricity and heat) + plant energy = the cell's total;
    moving the plant from CN to the US changes the plant energy only. GREET's figures are the
    published.csv rows: pack materials per chemistry and 12.95 assembly for all."""
    rows = greet_split_rows(real_background, published_ranges())
    assert {r.region for r in rows} == {"CN", "US"}
    assert {r.example for r in rows} == set(DESIGN)
    by_key = {(r.example, r.region): r for r in rows}
    for row in rows:
        total = _per_kwh(real_background, row.example, row.region)
        assert row.materials + row.plant_energy == pytest.approx(total, rel=1e-9)
        assert row.greet_assembly == 12.95
        assert (
            row.greet_materials
            == {
                "LFP": 41.79,
                "NMC111": 51.83,
                "NMC622": 50.53,
                "NMC811": 49.97,
            }[row.chemistry]
        )
    for name in DESIGN:
        cn, us = by_key[(name, "CN")], by_key[(name, "US")]
        assert us.materials == pytest.approx(cn.materials, rel=1e-9)
        assert us.plant_energy < cn.plant_energy
    table = greet_split_table(rows)
    assert all(f"| {r.example} ({r.chemistry}) | {r.region} |" in table for r in rows)


@pytest.mark.parametrize("region", REGIONS)
def test_against_the_national_database_nmc_below_and_lfp_above(
    real_background, region: str
) -> None:  # type: ignore[no-untyped-def]
    """ADEME's Base Empreinte packs made in the same country (published.csv) put LFP far below
    NMC (CN: LFP 67, NMC811 105, NMC622 112). Ours: the NMC cells below ADEME's packs, as a cell
    without housing should be; the LFP cell above its pack, the gap data/VALIDATION.md explains."""
    national = national_pack_figures(published_ranges())
    for name, chemistry in (("nmc811_design", "NMC811"), ("nmc622_design", "NMC622")):
        assert _per_kwh(real_background, name, region) < national[(chemistry, region)].low
    assert _per_kwh(real_background, "lfp_design", region) > national[("LFP", region)].low
