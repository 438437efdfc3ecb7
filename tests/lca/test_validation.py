"""Our example cells against published cell footprints (data/validation/published.csv).

The ranges are read from the CSV so the test and data/VALIDATION.md cite the same numbers:
Peiseler et al. 2024 (Nat. Commun. 15, s41467-024-54634-y): NMC811 59–115, LFP 54–69 kg CO2e/kWh;
Xu et al. 2022 (Resour. Conserv. Recycl. 187, 106606): 41–89 kg CO2e/kWh for cells made in 2020,
and a cathode share of 33–70 % of cell GHG.
"""

from __future__ import annotations

import pytest

from lca.validation import DESIGN_STUDY_SUFFIX, example_boms, footprint_in, published_ranges

RANGES = published_ranges()
EXAMPLES = example_boms()


def _range(chemistry_prefix: str, boundary_prefix: str = "cell"):  # type: ignore[no-untyped-def]
    matches = [
        r
        for r in RANGES
        if r.chemistry.startswith(chemistry_prefix) and r.boundary.startswith(boundary_prefix)
    ]
    assert len(matches) == 1, (chemistry_prefix, matches)
    return matches[0]


PEISELER = {"NMC": _range("NMC811"), "LFP": _range("LFP")}
XU = _range("NCM/NCA/LFP")
CATHODE_SHARE = _range("cathode share", "share")


# The only LFP example (a teardown of a conservatively rated CATL cell) is above the Peiseler LFP
# band: 96.2 kg CO2e/kWh made in CN and 94.7 in KR (both above Xu's 89). Its anode is all
# synthetic graphite (20.9 kg CO2e/kg on the CN grid, GREET step data, 27 % of the cell) and it
# holds 2.45 kg LFP per rated kWh. Both inputs are sourced and were re-checked against Chinese
# graphitisation figures without finding grounds to change them; the gap is recorded in
# data/VALIDATION.md. strict=True: this test starts failing the day the example falls inside the
# range, so the note cannot go stale.
LFP_ABOVE_RANGE = pytest.mark.xfail(
    strict=True,
    reason="LFP teardown example (96.2 CN, 94.7 KR) above Peiseler's LFP 54–69; data/VALIDATION.md",
)


def _example_params() -> list[object]:
    """The cell-specific examples; the design-study cells have tests of their own."""
    return [
        pytest.param(name, marks=LFP_ABOVE_RANGE) if "lfp" in name else name
        for name in sorted(EXAMPLES)
        if not name.endswith(DESIGN_STUDY_SUFFIX)
    ]


@pytest.mark.parametrize("region", ["CN", "KR"])
@pytest.mark.parametrize("example", _example_params())
def test_cell_footprint_inside_published_ranges(real_background, example: str, region: str) -> None:  # type: ignore[no-untyped-def]
    bom = EXAMPLES[example]
    family = "LFP" if "LFP" in bom["cell"]["chemistry"] else "NMC"
    per_kwh = footprint_in(real_background, bom, region).kg_co2e_per_kwh
    for published in (PEISELER[family], XU):
        assert published.low <= per_kwh <= published.high, (published.source[:60], per_kwh)


@pytest.mark.parametrize("example", [e for e in sorted(EXAMPLES) if "nmc" in e])
def test_cathode_active_material_dominates_nmc_cells(real_background, example: str) -> None:  # type: ignore[no-untyped-def]
    result = footprint_in(real_background, EXAMPLES[example], "CN")
    largest = max(result.lines, key=lambda line: line.kg_co2e)
    assert largest.product.endswith("_cam")
    share = result.by_component["cathode"] / result.kg_co2e
    assert CATHODE_SHARE.low / 100 <= share <= CATHODE_SHARE.high / 100


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_moving_the_plant_from_cn_to_se_saves_the_electricity_share(
    real_background, example: str
) -> None:  # type: ignore[no-untyped-def]
    """Only the plant's electricity changes: the saving is its CN share × (1 − SE/CN factor)."""
    cn = footprint_in(real_background, EXAMPLES[example], "CN")
    se = footprint_in(real_background, EXAMPLES[example], "SE")
    electricity_cn = next(line for line in cn.lines if line.product == "electricity_grid_cn")
    factor_ratio = real_background.unit_score("electricity_grid_se") / real_background.unit_score(
        "electricity_grid_cn"
    )
    expected_drop = electricity_cn.share * (1 - factor_ratio)
    assert se.kg_co2e < cn.kg_co2e
    assert 1 - se.kg_co2e / cn.kg_co2e == pytest.approx(expected_drop, rel=1e-9)
    assert 0.02 < expected_drop < 0.35
