from __future__ import annotations

from typing import Any

import pytest

PROBLEM = "application/problem+json"


def _bom_count(client) -> int:  # type: ignore[no-untyped-def]
    return int(client.get("/v1/boms").json()["count"])


def test_post_bom_normalises_every_line(client, example_bom) -> None:  # type: ignore[no-untyped-def]
    example_bom["lines"][0]["amount"] = "0.7295 lb"  # 330.9 g
    example_bom["lines"].append(
        {"component": "electrolyte", "material": "electrolyte_lipf6", "amount": "10 mL"}
    )
    response = client.post("/v1/boms", json=example_bom)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/boms/{body['id']}"
    first = body["lines"][0]
    assert first["unit"] == "kg"
    assert first["amount"] == pytest.approx(0.7295 * 0.45359237)
    last = body["lines"][-1]
    density = client.get("/v1/materials", params={"q": "electrolyte_lipf6"}).json()["data"][0]
    assert last["amount"] == pytest.approx(0.010 * density["density_kg_per_l"])
    assert body["cell"]["nominal_energy_kwh"] == pytest.approx(60 * 3.65 / 1000)
    assert body["plant"]["electricity_kwh"] == pytest.approx(1.819)
    assert body["plant"]["heat_mj"] == pytest.approx(30.65)
    fetched = client.get(f"/v1/boms/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


def test_process_lines_count_in_the_footprint_not_in_the_cell_mass(  # type: ignore[no-untyped-def]
    client, example_bom
) -> None:
    """The example's NMP make-up (0.78 g) is a process line: shown as such, priced in the
    footprint, and left out of the mass estimated from the lines when no cell mass is given."""
    del example_bom["cell"]["mass"]
    nmp = next(i for i, line in enumerate(example_bom["lines"]) if line["material"] == "nmp")
    assert example_bom["lines"][nmp]["kind"] == "process"
    body = client.post("/v1/boms", json=example_bom).json()
    assert [line["kind"] for line in body["lines"]].count("process") == 1
    assert body["lines"][nmp]["kind"] == "process"
    footprint = client.post(
        f"/v1/boms/{body['id']}/footprints", json={"distribution": {}, "end_of_life": {}}
    ).json()
    assert footprint["lines"][nmp]["kg_co2e"] > 0
    report = client.get(f"/v1/footprints/{footprint['id']}/report", params={"format": "json"})
    materials_kg = sum(
        line["amount"]
        for line in body["lines"]
        if line["unit"] == "kg" and line["kind"] != "process"
    )
    mass = report.json()["lifecycle_parameters"]["cell_mass_kg"]
    assert mass == pytest.approx(materials_kg, rel=1e-12)
    all_kg = sum(line["amount"] for line in body["lines"] if line["unit"] == "kg")
    assert all_kg - mass == pytest.approx(0.00078, rel=1e-9)
    assert body["lines"][nmp]["amount"] == pytest.approx(0.00078)


def test_list_boms_is_paginated(client, example_bom) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        assert client.post("/v1/boms", json=example_bom).status_code == 201
    page = client.get("/v1/boms", params={"limit": 2, "offset": 0}).json()
    assert len(page["data"]) == 2
    assert page["count"] >= 3
    rest = client.get("/v1/boms", params={"limit": 2, "offset": 2}).json()
    assert {b["id"] for b in page["data"]}.isdisjoint({b["id"] for b in rest["data"]})
    assert client.get("/v1/boms", params={"limit": 0}).status_code == 422


def _set(bom: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = bom
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


BAD_INPUTS = [
    # (what, path to change, new value, field named in the error, words in the message)
    (
        "unknown unit",
        ("lines", 0, "amount"),
        "5 zorkmids",
        ["lines", 0, "amount"],
        "not a quantity",
    ),
    (
        "wrong dimension",
        ("lines", 0, "amount"),
        "12 kWh",
        ["lines", 0, "amount"],
        "expected a mass",
    ),
    (
        "negative amount",
        ("lines", 1, "amount"),
        "-5 g",
        ["lines", 1, "amount"],
        "greater than zero",
    ),
    ("zero amount", ("lines", 1, "amount"), "0 g", ["lines", 1, "amount"], "greater than zero"),
    ("NaN amount", ("lines", 2, "amount"), "NaN g", ["lines", 2, "amount"], "finite"),
    ("infinite amount", ("lines", 2, "amount"), "Infinity g", ["lines", 2, "amount"], "finite"),
    ("bare number", ("lines", 2, "amount"), "12", ["lines", 2, "amount"], "no unit"),
    ("number, not text", ("lines", 2, "amount"), 12, ["lines", 2, "amount"], "string"),
    (
        "unknown material",
        ("lines", 3, "material"),
        "unobtainium",
        ["lines", 3, "material"],
        "unknown material",
    ),
    (
        "unknown grid region",
        ("plant", "grid_region"),
        "XX-NOWHERE",
        ["plant", "grid_region"],
        "unknown grid region",
    ),
    (
        "heat as a mass",
        ("plant", "heat_per_cell"),
        "3 kg",
        ["plant", "heat_per_cell"],
        "expected a energy",
    ),
    ("empty BOM", ("lines",), [], ["lines"], "at least 1"),
    (
        "capacity as energy",
        ("cell", "nominal_capacity"),
        "60 Wh",
        ["cell", "nominal_capacity"],
        "expected a electric charge",
    ),
    ("unknown field", ("plant", "colour"), "blue", ["plant", "colour"], "not permitted"),
    (
        "made in an unknown region",
        ("lines", 0, "made_in"),
        "ATLANTIS",
        ["lines", 0, "made_in"],
        "unknown grid region 'ATLANTIS'",
    ),
    (
        "made in a region, but not a material",
        ("lines", 0),
        {
            "component": "cathode",
            "material": "electricity_grid_cn",
            "amount": "1 kWh",
            "made_in": "KR",
        },
        ["lines", 0, "made_in"],
        "only materials and chemicals",
    ),
    ("unknown line kind", ("lines", 0, "kind"), "solvent", ["lines", 0, "kind"], "'material'"),
    (
        "volume without density",
        ("lines", 0, "amount"),
        "100 mL",
        ["lines", 0, "amount"],
        "no density",
    ),
]


@pytest.mark.parametrize(
    ("what", "path", "value", "field", "words"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_is_a_problem_naming_the_field(  # type: ignore[no-untyped-def]
    client, example_bom, what, path, value, field, words
) -> None:
    before = _bom_count(client)
    _set(example_bom, path, value)
    response = client.post("/v1/boms", json=example_bom)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == 422
    matching = [e for e in problem["errors"] if e["loc"] == field]
    assert matching, problem["errors"]
    assert any(words in e["msg"] for e in matching), matching
    assert _bom_count(client) == before


def test_all_problems_are_reported_at_once(client, example_bom) -> None:  # type: ignore[no-untyped-def]
    example_bom["lines"][0]["amount"] = "1 kWh"
    example_bom["lines"][1]["material"] = "nope"
    example_bom["plant"]["grid_region"] = "MARS"
    problem = client.post("/v1/boms", json=example_bom).json()
    assert {tuple(e["loc"]) for e in problem["errors"]} >= {
        ("lines", 0, "amount"),
        ("lines", 1, "material"),
        ("plant", "grid_region"),
    }


def test_malformed_json_is_422(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/v1/boms", content=b'{"name": "x", ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)


def test_body_over_one_mebibyte_is_413(client, example_bom) -> None:  # type: ignore[no-untyped-def]
    before = _bom_count(client)
    example_bom["description"] = "x" * (1024 * 1024)
    response = client.post("/v1/boms", json=example_bom)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)
    assert _bom_count(client) == before


def test_chunked_body_over_the_limit_is_413(client) -> None:  # type: ignore[no-untyped-def]
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b" " * (64 * 1024)

    response = client.post(
        "/v1/boms", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/v1/nothing-here",
        "/v1/boms/00000000-0000-0000-0000-000000000000",
        "/v1/footprints/00000000-0000-0000-0000-000000000000",
    ],
)
def test_unknown_routes_and_ids_are_404_problems(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 404


def test_malformed_id_is_422(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/v1/boms/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "bom_id"]
