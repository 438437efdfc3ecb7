"""Known answers of the shipped grid and method data, checked against the documents they cite.

The eGRID2023 figures are those of EPA's Power Profiler data file (eGRID2023 rev2, data year 2023);
the HCFC-142b figures are IPCC AR6 WG1 Table 7.SM.7 and the IPCC 2006 Tier 1 fugitive default.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lca.catalogue import DEFAULT_DATA_DIR, Catalogue, load_catalogue
from lca.data_check import plain_system, unit_scores

LB_PER_MWH_TO_KG_PER_KWH = 0.45359237 / 1000
EGRID2023_GRID_LOSS = 0.042
# Technologies whose inventory is a life-cycle figure, not a combustion emission: eGRID counts 0.
NON_COMBUSTION = {
    "electricity_nuclear",
    "electricity_hydro",
    "electricity_wind",
    "electricity_solar",
    "electricity_geothermal",
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(DEFAULT_DATA_DIR)


def _generation_shares(catalogue: Catalogue, grid: str) -> dict[str, float]:
    """Share of each technology in net generation: the exchange amount less the T&D gross-up."""
    return {
        e.input: e.amount * (1 - EGRID2023_GRID_LOSS)
        for e in catalogue.exchanges
        if e.activity == grid and e.kind == "technosphere"
    }


def _direct_co2e(catalogue: Catalogue, activity: str) -> float:
    gwp100 = {f.flow: f.gwp100 for f in catalogue.factors}
    return sum(
        e.amount * gwp100[e.input]
        for e in catalogue.exchanges
        if e.activity == activity and e.kind == "biosphere"
    )


@pytest.mark.parametrize(
    ("grid", "published_percent"),
    [
        (
            "electricity_grid_us_srtv",
            {
                "electricity_coal_us": 28.2,
                "electricity_gas_us": 29.8,
                "electricity_oil": 0.1,
                "electricity_nuclear": 32.8,
                "electricity_hydro": 7.6,
                "electricity_bioenergy": 0.7,
                "electricity_solar": 0.8,
            },
        ),
        (
            "electricity_grid_us_rfcm",
            {
                "electricity_coal_us": 25.7,
                "electricity_gas_us": 49.8,
                "electricity_oil": 1.5,
                "electricity_nuclear": 10.2,
                "electricity_wind": 8.8,
                "electricity_bioenergy": 1.5,
                "electricity_solar": 1.3,
                "electricity_other_fossil": 1.6,
            },
        ),
    ],
)
def test_egrid_subregion_mixes_are_the_egrid2023_resource_mix(
    catalogue: Catalogue, grid: str, published_percent: dict[str, float]
) -> None:
    """Shares are eGRID's, normalised where its rounded shares do not add up to 100 %."""
    shares = _generation_shares(catalogue, grid)
    total = sum(published_percent.values())
    expected = {tech: percent / total for tech, percent in published_percent.items()}
    assert shares == pytest.approx(expected, rel=1e-5)
    assert sum(shares.values()) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize(
    ("grid", "egrid_lb_co2e_per_mwh", "modelled_kg_per_kwh"),
    [
        # 903.306 lb/MWh = 0.4097 kg/kWh; the model is 0.8 % above it.
        ("electricity_grid_us_srtv", 903.306, 0.4132),
        # 975.978 lb/MWh = 0.4427 kg/kWh; US-average heat rates and no CHP heat allocation put
        # the model 10.8 % above it (documented in data/README.md, not calibrated away).
        ("electricity_grid_us_rfcm", 975.978, 0.4907),
    ],
)
def test_modelled_combustion_rate_against_egrid2023_output_rate(
    catalogue: Catalogue, grid: str, egrid_lb_co2e_per_mwh: float, modelled_kg_per_kwh: float
) -> None:
    modelled = sum(
        share * _direct_co2e(catalogue, tech)
        for tech, share in _generation_shares(catalogue, grid).items()
        if tech not in NON_COMBUSTION
    )
    assert modelled == pytest.approx(modelled_kg_per_kwh, abs=5e-5)
    egrid = egrid_lb_co2e_per_mwh * LB_PER_MWH_TO_KG_PER_KWH
    assert abs(modelled / egrid - 1) < 0.12


def test_hcfc142b_is_characterised_with_ar6_values(catalogue: Catalogue) -> None:
    flow = next(f for f in catalogue.flows if f.key == "hcfc142b")
    assert flow.biosphere3_code == "ba781ac6-cdf1-4a09-86b5-76b19ed3438b"
    assert flow.categories == ("air",)
    factor = next(f for f in catalogue.factors if f.flow == "hcfc142b")
    assert (factor.gwp100, factor.gwp20) == (2300, 5510)


def test_hcfc142b_release_per_kg_pvdf(catalogue: Catalogue) -> None:
    """0.5 % of 1.706 kg HCFC-142b per kg VDF, 1.03 kg VDF per kg PVDF, × 2300 = 20.2 kg CO2e."""
    per_kg_vdf = (100.49 / 64.03) / 0.92 * 0.005
    release = next(
        e
        for e in catalogue.exchanges
        if e.activity == "vinylidene_fluoride_cn" and e.input == "hcfc142b"
    )
    assert release.amount == pytest.approx(per_kg_vdf, rel=1e-3)

    system = plain_system(catalogue)
    only_hcfc142b = np.where(np.array(system.flow_keys) == "hcfc142b", system.gwp100, 0.0)
    from_hcfc142b = unit_scores(dataclasses.replace(system, gwp100=only_hcfc142b))
    vdf_per_kg_pvdf = next(
        e.amount
        for e in catalogue.exchanges
        if e.activity == "pvdf" and e.input == "vinylidene_fluoride_cn"
    )
    assert vdf_per_kg_pvdf == pytest.approx(1.03)
    assert from_hcfc142b["pvdf"] == pytest.approx(0.00853 * 1.03 * 2300, rel=1e-9)
    assert from_hcfc142b["pvdf"] == pytest.approx(20.2, abs=0.05)


def test_regions_without_residual_mix_say_why(catalogue: Catalogue) -> None:
    for region in catalogue.grid_regions:
        if region.residual_mix_kg_per_kwh is None:
            source = region.residual_mix_source
            assert source.startswith("no "), (region.region, source)
            assert "grid average applies" in source.lower(), (region.region, source)
