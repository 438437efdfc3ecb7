"""Quantities are a number and a unit, finite and physically plausible, on every route."""

from __future__ import annotations

from typing import Any

import pytest

from tests.suppliers.test_suppliers import _count, _report, supplier  # noqa: F401 (fixture)

PROBLEM = "application/problem+json"


def _bom_count(client) -> int:  # type: ignore[no-untyped-def]
    return int(client.get("/v1/boms").json()["count"])


def _set(bom: dict[str, Any], path: tuple[str | int, ...], value: str) -> None:
    target: Any = bom
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


BAD_BOM_QUANTITIES = [
    # (what, field, value, words in the message)
    ("arithmetic", ("lines", 0, "amount"), "2**10 kg", "not an expression"),
    ("a tower of powers", ("lines", 0, "amount"), "9**9**7 kg", "not an expression"),
    ("a power past float", ("lines", 0, "amount"), "10**400 kg", "not an expression"),
    ("a unit without a number", ("lines", 0, "amount"), "kg", "decimal number"),
    ("an absurd mass", ("lines", 0, "amount"), "1e308 t", "expected 1e-09 to 200 kg"),
    ("an absurd plant energy", ("plant", "electricity_per_cell"), "1e308 MWh", "10000 kWh"),
    ("an absurd plant heat", ("plant", "heat_per_cell"), "1e300 GJ", "36000 MJ"),
    ("an absurd capacity", ("cell", "nominal_capacity"), "1e308 Ah", "5000 Ah"),
    ("an absurd voltage", ("cell", "nominal_voltage"), "1e308 V", "10 V"),
    ("a vanishing capacity", ("cell", "nominal_capacity"), "1e-300 Ah", "0.005 to 5000 Ah"),
    ("a vanishing voltage", ("cell", "nominal_voltage"), "1e-300 V", "0.5 to 10 V"),
    ("an absurd cell mass", ("cell", "mass"), "3 t", "0.0001 to 200 kg"),
    ("a microscopic line", ("lines", 0, "amount"), "1e-300 kg", "1e-09 to 200 kg"),
    ("a float past its range", ("lines", 0, "amount"), "1e400 kg", "not a finite number"),
]


@pytest.mark.parametrize(
    ("what", "field", "value", "words"), BAD_BOM_QUANTITIES, ids=[c[0] for c in BAD_BOM_QUANTITIES]
)
def test_bom_quantities_that_are_expressions_or_absurd_are_422(
    client, example_bom, what, field, value, words
) -> None:  # type: ignore[no-untyped-def]
    before = _bom_count(client)
    _set(example_bom, field, value)
    response = client.post("/v1/boms", json=example_bom)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    matching = [e for e in response.json()["errors"] if tuple(e["loc"]) == field]
    assert any(words in e["msg"] for e in matching), response.json()["errors"]
    assert _bom_count(client) == before


def test_capacity_and_voltage_each_huge_are_two_problems_not_an_infinite_energy(
    client, example_bom
) -> None:  # type: ignore[no-untyped-def]
    """1e308 Ah × 1e308 V would be an infinite energy; both fields are named at once."""
    example_bom["cell"]["nominal_capacity"] = "1e308 Ah"
    example_bom["cell"]["nominal_voltage"] = "1e308 V"
    response = client.post("/v1/boms", json=example_bom)
    assert response.status_code == 422, response.text
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert {("cell", "nominal_capacity"), ("cell", "nominal_voltage")} <= locs


def test_the_largest_plausible_cell_is_stored_with_finite_numbers(client, example_bom) -> None:  # type: ignore[no-untyped-def]
    """At the edges of the ranges: 5000 Ah × 10 V = 50 kWh, 200 kg; all finite and kept."""
    example_bom["cell"].update(nominal_capacity="5000 Ah", nominal_voltage="10 V", mass="200 kg")
    response = client.post("/v1/boms", json=example_bom)
    assert response.status_code == 201, response.text
    assert response.json()["cell"]["nominal_energy_kwh"] == pytest.approx(50.0)


BAD_REPORT_QUANTITIES = [
    ("an absurd grid energy", {"electricity": {"grid": "1e308 GWh"}}, ["electricity", "grid"]),
    ("an absurd output", {"output": {"amount": "1e308 t"}}, ["output", "amount"]),
    ("a vanishing output", {"output": {"amount": "1e-300 t"}}, ["output", "amount"]),
    (
        "an absurd fuel",
        {"fuels": [{"fuel": "diesel", "amount": "1e300 t"}]},
        ["fuels", 0, "amount"],
    ),
    (
        "a negative fuel",
        {"fuels": [{"fuel": "natural_gas", "amount": "-5e7 m^3"}]},
        ["fuels", 0, "amount"],
    ),
    ("an expression", {"purchased_heat": "2**10 GJ"}, ["purchased_heat"]),
    (
        "an absurd emission rate",
        {"electricity": {"grid": "1 GWh", "supplier_specific_rate": "50 kg/kWh"}},
        ["electricity", "supplier_specific_rate"],
    ),
]


@pytest.mark.parametrize(
    ("what", "changes", "field"), BAD_REPORT_QUANTITIES, ids=[c[0] for c in BAD_REPORT_QUANTITIES]
)
def test_energy_report_quantities_that_are_negative_or_absurd_are_422(
    client,
    supplier,  # noqa: F811
    what,
    changes,
    field,
) -> None:  # type: ignore[no-untyped-def]
    before = _count(client, supplier["id"])
    response = client.post(
        f"/v1/suppliers/{supplier['id']}/energy-reports", json=_report(supplier["site"], **changes)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert field in [e["loc"] for e in response.json()["errors"]], response.json()["errors"]
    assert _count(client, supplier["id"]) == before


def test_negative_fuel_says_so(client, supplier) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    changes = {"fuels": [{"fuel": "natural_gas", "amount": "-5e7 m^3"}]}
    response = client.post(
        f"/v1/suppliers/{supplier['id']}/energy-reports", json=_report(supplier["site"], **changes)
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["loc"] == ["fuels", 0, "amount"]
    assert "must not be negative" in error["msg"]


def test_an_overlap_and_field_problems_are_reported_together(client, supplier) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    url = f"/v1/suppliers/{supplier['id']}/energy-reports"
    assert client.post(url, json=_report(supplier["site"])).status_code == 201
    response = client.post(
        url,
        json=_report(
            supplier["site"],
            period={"start": "2025-03-01", "end": "2025-09-30"},
            output={"amount": "1e308 t"},
            fuels=[{"fuel": "natural_gas", "amount": "-5 m^3"}],
        ),
    )
    assert response.status_code == 422, response.text
    locs = [e["loc"] for e in response.json()["errors"]]
    assert ["period"] in locs and ["output", "amount"] in locs and ["fuels", 0, "amount"] in locs


def test_pcf_with_an_absurd_value_per_kg_is_422(client, supplier) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    footprint = {
        "id": "urn:example:pcf:1",
        "pcf": {
            "declaredUnitOfMeasurement": "kilogram",
            "declaredUnitAmount": "1e-300",
            "pcfExcludingBiogenicUptake": "1e300",
        },
    }
    response = client.post(
        f"/v1/suppliers/{supplier['id']}/pcfs",
        json={"material": "nickel_sulfate_id", "footprint": footprint},
    )
    assert response.status_code == 422, response.text
    assert ["footprint", "pcf", "pcfExcludingBiogenicUptake"] in [
        e["loc"] for e in response.json()["errors"]
    ]


@pytest.mark.parametrize("column", ["nominal_energy_kwh", "line amount"])
def test_a_bom_stored_with_an_infinite_quantity_gets_a_problem_not_a_footprint(
    client, settings, example_bom, column
) -> None:  # type: ignore[no-untyped-def]
    """A BOM stored before the ranges existed could hold Infinity; its footprint used to be a
    500, or 0.0 kg CO2e per kWh for an infinite energy. It is now a 422 and no footprint."""
    import uuid

    from sqlmodel import Session, select

    from app.boms.models import Bom, BomLine
    from app.core.runtime import get_engine
    from app.footprints.models import Footprint

    bom_id = uuid.UUID(client.post("/v1/boms", json=example_bom).json()["id"])
    with Session(get_engine(settings)) as session:
        if column == "nominal_energy_kwh":
            bom = session.get(Bom, bom_id)
            assert bom is not None
            bom.nominal_energy_kwh = float("inf")
            session.add(bom)
        else:
            line = session.exec(select(BomLine).where(BomLine.bom_id == bom_id)).first()
            assert line is not None
            line.amount = float("inf")
            session.add(line)
        session.commit()
    response = client.post(f"/v1/boms/{bom_id}/footprints")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["errors"], response.json()
    with Session(get_engine(settings)) as session:
        assert not session.exec(select(Footprint).where(Footprint.bom_id == bom_id)).all()
