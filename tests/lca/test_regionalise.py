"""Regionalised materials: known answers, exact against bw2calc and against an edited matrix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from lca.bom import normalise_bom, plant_heat_product
from lca.footprint import ForegroundInput, compute, process_row, reference_score
from lca.regionalise import RegionaliseError, regionalise
from lca.scenarios import Scenario, apply_foreground

EXAMPLES = Path(__file__).parents[2] / "data" / "examples"


def test_nmc811_cam_made_in_kr_against_cn(real_background) -> None:  # type: ignore[no-untyped-def]
    """Depth 0 (the CAM's own process): its electricity 8.5 + 0.24 = 8.74 kWh moves from the CN
    grid (0.612546 kg CO2e/kWh in our background) to the KR grid (0.493633), and the gas behind
    its 3 MJ of heat (3 × 1.12867 MJ burned per MJ useful heat = 3.38601 MJ) from pipeline gas
    (0.010662 kg CO2e/MJ) to LNG (0.019556):

        Δ = 8.74 × (0.493633 − 0.612546) + 3.38601 × (0.019556 − 0.010662)
          = 8.74 × −0.118913 + 3.38601 × 0.008894 = −1.03930 + 0.03012 = −1.00919 kg CO2e/kg.
    """
    bg = real_background
    kr = process_row(bg, regionalise(bg, "nmc811_cam", "KR", depth=0).process)[0]
    cn = process_row(bg, regionalise(bg, "nmc811_cam", "CN", depth=0).process)[0]
    assert cn == pytest.approx(bg.unit_score("nmc811_cam"), rel=1e-12)
    assert kr - cn == pytest.approx(-1.00919, abs=5e-5)
    grid = bg.unit_score("electricity_grid_kr") - bg.unit_score("electricity_grid_cn")
    gas = bg.unit_score("natural_gas_supply_lng") - bg.unit_score("natural_gas_supply")
    by_units = 8.74 * grid + 3 * 1.12867 * gas
    assert kr - cn == pytest.approx(by_units, rel=1e-5)


def test_default_depth_copies_the_energy_intensive_precursors(real_background) -> None:  # type: ignore[no-untyped-def]
    kr = regionalise(real_background, "nmc811_cam", "KR")
    assert kr.copied[0] == "nmc811_cam"
    assert {"pcam_nmc811", "lithium_hydroxide_cn"} <= set(kr.copied)
    # Nothing of the Chinese grid is left in the copied processes' own inputs.
    assert "electricity_grid_cn" not in dict(kr.process.inputs)
    assert "natural_gas_supply" not in dict(kr.process.inputs)
    # Made where the background already makes it, the copy prices as the background does.
    cn = regionalise(real_background, "nmc811_cam", "CN")
    assert process_row(real_background, cn.process)[0] == pytest.approx(
        real_background.unit_score("nmc811_cam"), rel=1e-12
    )


def test_regionalised_line_equals_plain_bw2calc(real_background) -> None:  # type: ignore[no-untyped-def]
    """The fast path (unit-score dot product) and a plain bw2calc LCA on the background plus the
    copy as a foreground activity agree to 1e-9."""
    copy = regionalise(real_background, "nmc811_cam", "KR").process
    inputs = [
        ForegroundInput("cam made in KR", copy.code, 0.3309, "cathode"),
        ForegroundInput("copper foil", "copper_foil", 0.0522, "current collector"),
    ]
    fast = compute(real_background, inputs, 0.219, {copy.code: copy}).kg_co2e
    slow = reference_score(real_background, inputs, processes={copy.code: copy})
    assert fast == pytest.approx(slow, rel=1e-9)


def test_regionalised_equals_the_edited_matrix(real_background) -> None:  # type: ignore[no-untyped-def]
    """No other background process consumes nmc811_cam, so moving its own grid input to SE
    inside A and solving the whole system again must give the copy's score (depth 0; SE burns
    pipeline gas as the background does, so the heat chain is not copied)."""
    engine = real_background.engine
    cam = real_background.product("nmc811_cam").brightway_id
    cn = real_background.product("electricity_grid_cn").brightway_id
    se = real_background.product("electricity_grid_se").brightway_id
    a = engine.technosphere.tolil(copy=True)
    column = engine.activity_index[cam]
    others = a[engine.product_index[cam], :].toarray().ravel()
    others[column] = 0.0
    assert not others.any()
    a[engine.product_index[se], column] += a[engine.product_index[cn], column]
    a[engine.product_index[cn], column] = 0.0
    scores = spla.spsolve(sp.csc_matrix(a).T.tocsc(), engine.direct_scores[:, 0])
    edited = float(np.asarray(scores)[engine.product_index[cam]])
    copy = regionalise(real_background, "nmc811_cam", "SE", depth=0).process
    assert process_row(real_background, copy)[0] == pytest.approx(edited, rel=1e-9)


@pytest.mark.parametrize(
    ("material", "region", "message"),
    [
        ("nmc811_cam", "XX", "unknown grid region 'XX'"),
        ("unobtainium", "KR", "unknown material code 'unobtainium'"),
        ("electricity_grid_cn", "KR", "only materials and chemicals"),
    ],
)
def test_what_cannot_be_regionalised(real_background, material, region, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RegionaliseError, match=message):
        regionalise(real_background, material, region)


def test_plant_heat_comes_through_the_regions_gas_chain(real_background) -> None:  # type: ignore[no-untyped-def]
    """A plant in KR burns regasified LNG: per MJ burned the same combustion (56.1 g CO2/MJ
    and the CH4/N2O defaults) plus the LNG chain (0.019556 kg CO2e/MJ) instead of pipeline gas
    (0.010662): 0.008894 kg CO2e more per MJ. A plant in SE (or US-SRTV) burns pipeline gas."""
    example = json.loads((EXAMPLES / "nmc622_pouch.json").read_text())
    assert example["plant"]["grid_region"] == "KR"
    bom = normalise_bom(example, real_background)
    heat = next(i for i in bom.foreground_inputs() if i.label.startswith("plant heat"))
    assert heat.product == "natural_gas_burned_industrial_lng"
    lng = real_background.unit_score("natural_gas_burned_industrial_lng")
    pipeline = real_background.unit_score("natural_gas_burned_industrial")
    assert lng - pipeline == pytest.approx(0.008894, abs=1e-6)
    assert plant_heat_product(real_background, "SE") == "natural_gas_burned_industrial"
    assert plant_heat_product(real_background, "JP") == "natural_gas_burned_industrial_lng"
    # Moving the plant to SE in a scenario moves its heat to pipeline gas too.
    moved = apply_foreground(real_background, bom, Scenario("SE", grid_region="SE"))
    assert moved.heat_product == "natural_gas_burned_industrial"
