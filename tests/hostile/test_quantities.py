"""A hostile client's quantities: whatever it sends, the answer is a 4xx problem naming the field,
never a 5xx, and nothing is stored.

Quantity strings are generated (arithmetic, huge and tiny exponents, NaN and infinity, non-ASCII
digits, long unit expressions, units of the wrong dimension) together with magnitudes just
outside each field's plausible range (lca.ranges), and posted to the real app for every field
that takes a quantity: a BOM, a supplier site's energy report, a PCF, scenarios and footprint
options. Rows are counted in the database before and after each request.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from app.access.models import Organisation
from app.boms.models import Bom, BomLine
from app.core.runtime import get_engine
from app.footprints.models import Footprint
from app.suppliers.models import EnergyReport, SupplierPcf
from lca.ranges import PLAUSIBLE_RANGES
from tests.conftest import EXAMPLES, make_organisation

PROBLEM = "application/problem+json"
HOSTILE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
Path = tuple[str | int, ...]

# (field path, kind in PLAUSIBLE_RANGES, its canonical unit, a unit of another dimension)
BOM_FIELDS: list[tuple[Path, str, str, str]] = [
    (("cell", "nominal_capacity"), "cell.nominal_capacity", "Ah", "kg"),
    (("cell", "nominal_voltage"), "cell.nominal_voltage", "V", "kWh"),
    (("cell", "mass"), "cell.mass", "kg", "Ah"),
    (("plant", "electricity_per_cell"), "plant.electricity_per_cell", "kWh", "kg"),
    (("plant", "heat_per_cell"), "plant.heat_per_cell", "MJ", "V"),
    (("lines", 0, "amount"), "line.kg", "kg", "kWh"),  # the example's first line: a cathode, kg
]
REPORT_FIELDS: list[tuple[Path, str, str, str]] = [
    (("output", "amount"), "site.output", "kg", "kWh"),
    (("electricity", "grid"), "site.electricity", "kWh", "kg"),
    (("electricity", "instruments", 0, "amount"), "site.electricity", "kWh", "t"),
    (("electricity", "onsite", 0, "amount"), "site.electricity", "kWh", "Ah"),
    (("electricity", "supplier_specific_rate"), "site.supplier_specific_rate", "kg/kWh", "kg"),
    (("fuels", 0, "amount"), "site.fuel", "MJ", "km"),
    (("purchased_heat",), "site.heat", "MJ", "kg"),
    (("process_emissions", 0, "amount"), "site.process_emission", "kg", "MJ"),
    (("materials", 0, "amount"), "site.material", "kg", "V"),
]
UNITS = ["kg", "g", "t", "Ah", "V", "kWh", "MWh", "GWh", "MJ", "GJ", "m^3", "L", "MMBtu"]


# --- what a hostile client sends ----------------------------------------------------------------


def _number(value: float) -> str:
    return repr(float(value))


expressions = st.one_of(
    st.builds(
        lambda a, b, u: f"{a}**{b} {u}",
        st.integers(2, 99),
        st.integers(2, 9999),
        st.sampled_from(UNITS),
    ),
    st.builds(lambda a, u: f"9**9**{a} {u}", st.integers(6, 12), st.sampled_from(UNITS)),
    st.sampled_from(
        [
            "2**10 kg",
            "10**400 kg",
            "(1) kg",
            "1+1 kg",
            "2*3 kg",
            "1/0 kg",
            "kg",
            "1e3",
            "0x10 kg",
            "1_000 kg",
            "1 kg**9**9",
            "1 kg^99",
            "1 kg kg",
            "-- kg",
            "1 (kg)",
            "1e kg",
        ]
    ),
)
not_finite = st.builds(
    lambda sign, word, unit: f"{sign}{word} {unit}",
    st.sampled_from(["", "+", "-"]),
    st.sampled_from(["nan", "NaN", "inf", "Infinity", "INF", "1e309", "9e99999"]),
    st.sampled_from(UNITS),
)
huge_exponents = st.builds(
    lambda m, e, u: f"{m}e{e} {u}",
    st.integers(1, 9),
    st.integers(309, 10**6),
    st.sampled_from(UNITS),
)
non_ascii_digits = st.builds(
    lambda digits, unit: f"{digits} {unit}",
    st.text(
        st.characters(categories=["Nd"]).filter(lambda c: not c.isascii()), min_size=1, max_size=6
    ),
    st.sampled_from(UNITS),
)
long_units = st.builds(
    lambda n, op, name: "1 " + op.join([name] * n),
    st.integers(9, 40),
    st.sampled_from(["*", "/", " * "]),
    st.sampled_from(["kg", "m", "s", "kWh"]),
)
garbage = st.text(min_size=1, max_size=80).filter(lambda t: not t.strip()[:1].isdigit())


def wrong_dimension(wrong_unit: str) -> st.SearchStrategy[str]:
    return st.builds(
        lambda v: f"{_number(v)} {wrong_unit}", st.floats(0.001, 1000, allow_nan=False)
    )


def outside(kind: str, unit: str) -> st.SearchStrategy[str]:
    """Magnitudes in ``unit`` (the kind's canonical one) just or far outside the kind's range."""
    bound = PLAUSIBLE_RANGES[kind]
    choices = [
        st.floats(bound.high * 1.001, 1e308, allow_nan=False, allow_infinity=False),
        st.floats(-1e308, -1e-300, allow_nan=False, allow_infinity=False),
    ]
    if bound.low > 0:
        choices.append(st.floats(5e-324, bound.low * 0.999, allow_nan=False))
    return st.one_of(*choices).map(lambda v: f"{_number(v)} {unit}")


def hostile_quantity(kind: str, unit: str, wrong_unit: str) -> st.SearchStrategy[str]:
    return st.one_of(
        expressions,
        not_finite,
        huge_exponents,
        non_ascii_digits,
        long_units,
        garbage,
        wrong_dimension(wrong_unit),
        outside(kind, unit),
    )


def hostile_field(fields: list[tuple[Path, str, str, str]]) -> st.SearchStrategy[tuple[Path, str]]:
    return st.sampled_from(fields).flatmap(
        lambda f: st.tuples(st.just(f[0]), hostile_quantity(f[1], f[2], f[3]))
    )


# --- the app, its database and the checks -------------------------------------------------------


@pytest.fixture(scope="module")
def organisation(settings) -> tuple[str, Any]:  # type: ignore[no-untyped-def]
    """An organisation of this module's own: rows other tests' jobs store meanwhile are not
    counted as what a refused request stored."""
    name = f"hostile {uuid.uuid4().hex[:8]}"
    token = make_organisation(settings, name)
    with Session(get_engine(settings)) as session:
        organisation_id = session.exec(
            select(Organisation.id).where(Organisation.name == name)
        ).one()
    return token, organisation_id


@pytest.fixture(scope="module")
def client(app, organisation) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, headers={"Authorization": f"Bearer {organisation[0]}"}) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def rows(settings, organisation) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    engine = get_engine(settings)
    organisation_id = organisation[1]

    def count() -> dict[str, int]:
        with Session(engine) as session:
            return {
                model.__name__: session.exec(
                    select(func.count())
                    .select_from(model)
                    .where(model.organisation_id == organisation_id)  # type: ignore[attr-defined]
                ).one()
                for model in (Bom, BomLine, Footprint, EnergyReport, SupplierPcf)
            }

    yield count


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return json.loads((EXAMPLES / "nmc811_pouch.json").read_text())


@pytest.fixture(scope="module")
def site(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    supplier = client.post("/v1/suppliers", json={"name": "Hostile Nickel", "country": "ID"})
    assert supplier.status_code == 201, supplier.text
    created = client.post(
        f"/v1/suppliers/{supplier.json()['id']}/sites",
        json={"name": "Weda Bay", "country": "ID", "grid_region": "ID"},
    )
    assert created.status_code == 201, created.text
    return {"supplier": supplier.json()["id"], "site": created.json()["id"]}


@pytest.fixture(scope="module")
def stored_bom(client, example) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.post("/v1/boms", json=example)
    assert response.status_code == 201, response.text
    return response.json()


def _report(site_id: str) -> dict[str, Any]:
    """A valid report that has every quantity field, for one field at a time to be spoilt."""
    return {
        "site_id": site_id,
        "product": "nickel_sulfate_id",
        "period": {"start": "2024-01-01", "end": "2024-01-31"},
        "output": {"amount": "800 t"},
        "electricity": {
            "grid": "2 GWh",
            "instruments": [
                {
                    "type": "ppa",
                    "amount": "500 MWh",
                    "technology": "solar",
                    "vintage_year": 2024,
                    "market": "ID",
                }
            ],
            "onsite": [{"technology": "solar", "amount": "100 MWh"}],
            "supplier_specific_rate": "0.8 kg/kWh",
        },
        "fuels": [{"fuel": "natural_gas", "amount": "1.2e5 m^3"}],
        "purchased_heat": "500 GJ",
        "process_emissions": [{"gas": "co2_fossil", "amount": "3 t"}],
        "materials": [{"material": "nickel_sulfate_id", "amount": "1 t"}],
    }


def _spoil(body: dict[str, Any], path: Path, text: str) -> dict[str, Any]:
    spoilt = copy.deepcopy(body)
    target: Any = spoilt
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = text
    return spoilt


def _names(loc: list[Any], path: Path) -> bool:
    """``path`` runs through ``loc`` (which may add 'query' before it or a type after it)."""
    return any(tuple(loc[i : i + len(path)]) == path for i in range(len(loc)))


def _assert_refused(
    response: Any, path: Path | None, rows_before: dict[str, int], rows: Any
) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    errors = response.json()["errors"]
    assert errors and all(isinstance(e["loc"], list) for e in errors), errors
    if path is not None:
        assert any(_names(e["loc"], path) for e in errors), (path, errors)
    assert rows() == rows_before


# --- the properties -----------------------------------------------------------------------------


@HOSTILE
@given(field=hostile_field(BOM_FIELDS))
def test_a_hostile_bom_quantity_is_a_problem_naming_its_field(client, rows, example, field) -> None:  # type: ignore[no-untyped-def]
    path, text = field
    before = rows()
    response = client.post("/v1/boms", json=_spoil(example, path, text))
    _assert_refused(response, path, before, rows)


def _import(client, bom: dict[str, Any]) -> Any:  # type: ignore[no-untyped-def]
    """Post ``bom`` as a CSV export of its lines with the rest as the metadata part."""
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["component", "material", "quantity"])
    for line in bom["lines"]:
        writer.writerow([line["component"], line["material"], line["amount"]])
    return client.post(
        "/v1/boms/import",
        files={"file": ("bom.csv", table.getvalue().encode("utf-8", "replace"), "text/csv")},
        data={"metadata": json.dumps({k: v for k, v in bom.items() if k != "lines"})},
    )


def test_the_unspoilt_example_imports(client, example) -> None:  # type: ignore[no-untyped-def]
    """The control of the next property: without a hostile quantity the import is stored."""
    response = _import(client, example)
    assert response.status_code == 201, response.text


@HOSTILE
@given(field=hostile_field(BOM_FIELDS))
def test_a_hostile_bom_quantity_in_a_csv_import_is_a_problem(client, rows, example, field) -> None:  # type: ignore[no-untyped-def]
    """The same through the import: a line's quantity cell, or a cell/plant field of metadata."""
    path, text = field
    before = rows()
    response = _import(client, _spoil(example, path, text))
    _assert_refused(response, None, before, rows)


@HOSTILE
@given(field=hostile_field(REPORT_FIELDS))
def test_a_hostile_energy_report_quantity_is_a_problem_naming_its_field(
    client, rows, site, field
) -> None:  # type: ignore[no-untyped-def]
    path, text = field
    before = rows()
    response = client.post(
        f"/v1/suppliers/{site['supplier']}/energy-reports",
        json=_spoil(_report(site["site"]), path, text),
    )
    _assert_refused(response, path, before, rows)


shares = st.one_of(
    st.floats(max_value=-1e-300),
    st.floats(min_value=1.0000001),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)


@HOSTILE
@given(element=st.sampled_from(["Ni", "Co", "Li"]), share=shares)
def test_a_hostile_recycled_share_in_a_scenario_is_a_problem(
    client, rows, stored_bom, element, share
) -> None:  # type: ignore[no-untyped-def]
    before = rows()
    body = {"scenarios": [{"name": "recycled", "recycled_share": {element: share}}]}
    response = client.post(
        f"/v1/boms/{stored_bom['id']}/scenarios",
        content=json.dumps(body),  # allows NaN and Infinity, as a hostile client's JSON may
        headers={"content-type": "application/json"},
    )
    _assert_refused(response, ("scenarios", 0, "recycled_share"), before, rows)


distances = st.one_of(
    st.floats(max_value=-1e-300),
    st.floats(min_value=50_000.001),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)


@HOSTILE
@given(distance=distances)
def test_a_hostile_transport_distance_is_a_problem(client, rows, stored_bom, distance) -> None:  # type: ignore[no-untyped-def]
    before = rows()
    body = {"distribution": {"legs": [{"mode": "sea", "distance_km": distance}]}}
    response = client.post(
        f"/v1/boms/{stored_bom['id']}/footprints",
        content=json.dumps(body),
        headers={"content-type": "application/json"},
    )
    _assert_refused(response, ("distribution", "legs", 0, "distance_km"), before, rows)


@pytest.fixture(scope="module")
def footprint(client, stored_bom) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.post(f"/v1/boms/{stored_bom['id']}/footprints")
    assert response.status_code == 201, response.text
    return response.json()


@HOSTILE
@given(
    name=st.sampled_from(["service_years", "full_equivalent_cycles_per_year"]),
    value=st.one_of(
        st.floats(5e-324, 0.4999).map(repr),
        st.floats(min_value=10_000.001, allow_infinity=False).map(repr),
        st.floats(max_value=0, allow_infinity=False).map(repr),
        st.sampled_from(["nan", "inf", "-inf", "1e400", "2**10", "5e-324", "٣"]),
    ),
)
def test_a_hostile_use_phase_in_a_report_query_is_a_problem(
    client, rows, footprint, name, value
) -> None:  # type: ignore[no-untyped-def]
    before = rows()
    response = client.get(f"/v1/footprints/{footprint['id']}/report", params={name: value})
    _assert_refused(response, (name,), before, rows)
