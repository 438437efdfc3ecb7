"""Known answers of the distribution and end-of-life stage models (lca/lifecycle.py)."""

from __future__ import annotations

import pytest

from lca.catalogue import DEFAULT_DATA_DIR
from lca.footprint import compute
from lca.lifecycle import (
    STAGE_DISTRIBUTION,
    STAGE_END_OF_LIFE,
    Distribution,
    EndOfLife,
    LifecycleError,
    RecyclingRoute,
    RouteInput,
    TransportLeg,
    lifecycle_model,
    load_lifecycle_data,
)


def test_transport_legs_are_cell_mass_times_distance() -> None:
    """A 0.5 kg cell: 100 km by truck = 0.0005 t × 100 km = 0.05 t·km; 1,000 km by sea = 0.5."""
    legs = (TransportLeg("truck", 100.0), TransportLeg("sea", 1000.0))
    model = lifecycle_model(0.5, Distribution(legs), None)
    assert [(i.product, i.stage) for i in model.inputs] == [
        ("transport_truck", STAGE_DISTRIBUTION),
        ("transport_sea", STAGE_DISTRIBUTION),
    ]
    assert [i.amount for i in model.inputs] == pytest.approx([0.05, 0.5], rel=1e-12)
    assert model.processes == {}


def test_recycling_route_scales_per_kg_and_prices_direct_emissions() -> None:
    """2 kg of cell on a route of 1 kWh grid electricity and 0.5 kg CO2 per kg: 2 kWh of the
    recycling site's grid, and a direct-emission process of 0.5 kg CO2 per kg taken 2 times."""
    route = RecyclingRoute(
        "toy",
        (
            RouteInput("electricity", 1.0, "kWh", "toy"),
            RouteInput("direct:co2_fossil", 0.5, "kg", "toy"),
        ),
    )
    model = lifecycle_model(2.0, None, EndOfLife(route, "electricity_grid_de", "DE"))
    grid, direct = model.inputs
    assert (grid.product, grid.amount, grid.stage) == (
        "electricity_grid_de",
        2.0,
        STAGE_END_OF_LIFE,
    )
    assert direct.amount == 2.0
    assert model.processes[direct.product].emissions == (("co2_fossil", 0.5),)


def test_bad_parameters_name_their_field() -> None:
    with pytest.raises(LifecycleError) as caught:
        lifecycle_model(1.0, Distribution((TransportLeg("air", 10.0),)), None)
    assert caught.value.field == ("distribution", "legs", 0, "mode")
    with pytest.raises(LifecycleError) as caught:
        lifecycle_model(0.0, Distribution(()), None)
    assert caught.value.field == ("cell", "mass")


def test_shipped_defaults_have_sources_and_price_on_the_real_background(real_background) -> None:  # type: ignore[no-untyped-def]
    """Every default row cites a source, and each stage's kg CO2e is the dot product of its
    amounts with the background's unit scores (plus 0.92 kg CO2 per kg cell on the pyro route)."""
    data = load_lifecycle_data(DEFAULT_DATA_DIR)
    assert all(leg.source for legs in data.legs_by_origin.values() for leg in legs)
    assert all(item.source for route in data.routes.values() for item in route.inputs)
    assert {"hydrometallurgical", "pyrometallurgical"} <= set(data.routes)
    legs = data.default_legs("CN")
    route = data.routes["pyrometallurgical"]
    model = lifecycle_model(0.77, Distribution(legs), EndOfLife(route, "electricity_grid_de", "DE"))
    result = compute(real_background, list(model.inputs), 0.219, model.processes)
    expected_distribution = sum(
        0.77 / 1000 * leg.distance_km * real_background.unit_score(f"transport_{leg.mode}")
        for leg in legs
    )
    assert result.by_stage[STAGE_DISTRIBUTION] == pytest.approx(expected_distribution, rel=1e-9)
    priced = sum(
        0.77
        * item.amount_per_kg_cell
        * real_background.unit_score(
            "electricity_grid_de" if item.input == "electricity" else item.input
        )
        for item in route.inputs
        if not item.input.startswith("direct:")
    )
    direct = 0.77 * 0.92 * real_background.flow_row("co2_fossil")[0]
    assert result.by_stage[STAGE_END_OF_LIFE] == pytest.approx(priced + direct, rel=1e-9)
