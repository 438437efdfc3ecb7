"""POST /v1/boms/import: CSV and XLSX exports of the examples become the same BOMs as the JSON."""

from __future__ import annotations

from typing import Any

import pytest

from tests.boms.bom_files import (
    EXAMPLES,
    HEADER,
    csv_bytes,
    example,
    metadata,
    table_rows,
    xlsx_bytes,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXAMPLE_NAMES = ["nmc811_pouch", "nmc622_pouch", "lfp_prismatic", "nmc811_pouch_cn"]


def _bom_count(client: Any) -> int:
    return int(client.get("/v1/boms").json()["count"])


def _same_lines(imported: dict[str, Any], posted: dict[str, Any]) -> None:
    keys = ("position", "component", "material", "amount", "unit", "source")
    assert [{k: line[k] for k in keys} for line in imported["lines"]] == [
        {k: line[k] for k in keys} for line in posted["lines"]
    ]
    assert imported["cell"] == posted["cell"]
    assert imported["plant"] == posted["plant"]
    assert imported["sources"] == posted["sources"]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_csv_export_of_each_example_imports_as_the_json_bom(org_client: Any, name: str) -> None:
    bom = example(name)
    posted = org_client.post("/v1/boms", json=bom)
    assert posted.status_code == 201, posted.text
    response = org_client.post(
        "/v1/boms/import",
        files={"file": (f"{name}.csv", csv_bytes(HEADER, table_rows(bom)), "text/csv")},
        data={"metadata": metadata(bom)},
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/boms/{response.json()['id']}"
    _same_lines(response.json(), posted.json())


@pytest.mark.parametrize("name", ["nmc811_pouch", "lfp_prismatic"])
def test_xlsx_export_with_numeric_cells_and_flat_form_fields(org_client: Any, name: str) -> None:
    """Quantities as numbers (not text), a title row above the header, metadata as form fields."""
    bom = example(name)
    rows = [[c, m, float(q), u, s] for c, m, q, u, s in table_rows(bom)]
    cell, plant = bom["cell"], bom["plant"]
    fields = {
        "name": bom["name"],
        "description": bom["description"],
        "chemistry": cell["chemistry"],
        "format": cell["format"],
        "nominal_capacity": cell["nominal_capacity"],
        "nominal_voltage": cell["nominal_voltage"],
        "mass": cell["mass"],
        "plant_name": plant["name"],
        "grid_region": plant["grid_region"],
        "electricity_per_cell": plant["electricity_per_cell"],
        "heat_per_cell": plant["heat_per_cell"],
    }
    posted = org_client.post("/v1/boms", json={**bom, "sources": []}).json()
    response = org_client.post(
        "/v1/boms/import",
        files={"file": (f"{name}.xlsx", xlsx_bytes(HEADER, rows), XLSX_TYPE)},
        data=fields,
    )
    assert response.status_code == 201, response.text
    _same_lines(response.json(), posted)
    footprint = org_client.post(f"/v1/boms/{response.json()['id']}/footprints")
    expected = org_client.post(f"/v1/boms/{posted['id']}/footprints")
    assert footprint.json()["kg_co2e_per_cell"] == pytest.approx(
        expected.json()["kg_co2e_per_cell"], rel=1e-12
    )


def test_the_shipped_csv_example_is_the_json_example() -> None:
    shipped = (EXAMPLES / "nmc811_pouch.csv").read_bytes()
    made = csv_bytes(HEADER, table_rows(example("nmc811_pouch"))).removeprefix(b"\xef\xbb\xbf")
    assert shipped == made


def test_explicit_column_mapping_semicolons_decimal_commas_and_erp_unit_codes(
    org_client: Any,
) -> None:
    """A German SAP-style export: 'Werkstoff;Menge;ME;Baugruppe', '330,9' and 'GRM' (UN/ECE 20)."""
    bom = example("nmc811_pouch")
    rows = [
        [m, q.replace(".", ","), {"g": "GRM"}.get(u, u), c] for c, m, q, u, _ in table_rows(bom)
    ]
    data = csv_bytes(["Werkstoff", "Menge", "ME", "Baugruppe"], rows, delimiter=";")
    response = org_client.post(
        "/v1/boms/import?material_column=Werkstoff&quantity_column=Menge",
        files={"file": ("stueckliste.csv", data, "text/csv")},
        data={"metadata": metadata(bom), "unit_column": "ME", "component_column": "Baugruppe"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["lines"][0]["amount"] == pytest.approx(0.3309)
    assert response.json()["lines"][0]["unit"] == "kg"


def test_made_in_and_kind_columns(org_client: Any) -> None:
    """'Made in' and 'Kind' columns carry a line's region and its process kind; a bad region is
    a problem at its cell of the file (row 2, column 'Made in')."""
    bom = example("nmc811_pouch")
    rows = [
        [c, m, q, u, "KR" if m == "nmc811_cam" else "", "process" if m == "nmp" else ""]
        for c, m, q, u, _ in table_rows(bom)
    ]
    header = ["Component", "Part number", "Qty", "UoM", "Made in", "Kind"]
    response = org_client.post(
        "/v1/boms/import",
        files={"file": ("bom.csv", csv_bytes(header, rows), "text/csv")},
        data={"metadata": metadata(bom)},
    )
    assert response.status_code == 201, response.text
    lines = response.json()["lines"]
    assert [(x["material"], x["made_in"]) for x in lines if x["made_in"]] == [("nmc811_cam", "KR")]
    assert [x["material"] for x in lines if x["kind"] == "process"] == ["nmp"]
    rows[0][4] = "ATLANTIS"
    refused = org_client.post(
        "/v1/boms/import",
        files={"file": ("bom.csv", csv_bytes(header, rows), "text/csv")},
        data={"metadata": metadata(bom)},
    )
    assert refused.status_code == 422
    assert ["file", 2, "Made in"] in [e["loc"] for e in refused.json()["errors"]]


def test_every_row_problem_is_reported_at_once_and_nothing_is_stored(org_client: Any) -> None:
    bom = example("nmc811_pouch")
    rows = table_rows(bom)[:6]
    rows[0][3] = "bananas"  # row 2: unknown unit
    rows[1][2] = "6.8.9"  # row 3: not a number
    rows[2][1] = "unobtainium"  # row 4: unknown material
    rows[3][0] = ""  # row 5: no component
    rows[4][3] = "kWh"  # row 6: an energy for a material counted in kg
    meta = {key: value for key, value in bom.items() if key != "lines"}
    meta["plant"] = {**meta["plant"], "grid_region": "ATLANTIS"}
    before = _bom_count(org_client)
    response = org_client.post(
        "/v1/boms/import",
        files={"file": ("bad.csv", csv_bytes(HEADER, rows), "text/csv")},
        data={"metadata": __import__("json").dumps(meta)},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problems = response.json()["errors"]
    by_place = {(p.get("row"), p.get("column")): p["msg"] for p in problems}
    assert "unknown unit 'bananas'" in by_place[(2, "UoM")]
    assert "'6.8.9' is not a number" in by_place[(3, "Qty")]
    assert "unknown material code 'unobtainium'" in by_place[(4, "Part number")]
    assert by_place[(5, "Component")] == "empty"
    assert "kg" in by_place[(6, "UoM")]  # "… is an energy; material … is measured in kg"
    assert any(p["loc"] == ["plant", "grid_region"] for p in problems)
    assert len(problems) == 6
    assert "rows 2, 3, 4, 5, 6" in response.json()["detail"]
    assert _bom_count(org_client) == before


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["Component", "Qty", "UoM"], "no material column"),
        (["Component", "Material", "Part number", "Qty", "UoM"], "could each be the material"),
    ],
)
def test_columns_that_cannot_be_mapped(org_client: Any, header: list[str], message: str) -> None:
    rows = [["cathode"] + ["nmc811_cam"] * (len(header) - 3) + ["330.9", "g"]]
    response = org_client.post(
        "/v1/boms/import",
        files={"file": ("bom.csv", csv_bytes(header, rows), "text/csv")},
        data={"metadata": metadata(example("nmc811_pouch"))},
    )
    assert response.status_code == 422
    assert message in response.json()["errors"][0]["msg"]
    assert response.json()["errors"][0]["loc"] == ["material_column"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04not really a zip", "cannot be read"),
        (b"Component,Part number,Qty,UoM\r\n", "no lines"),
    ],
)
def test_unreadable_files_are_422(org_client: Any, content: bytes, message: str) -> None:
    response = org_client.post(
        "/v1/boms/import",
        files={"file": ("bom.xlsx", content, XLSX_TYPE)},
        data={"metadata": metadata(example("nmc811_pouch"))},
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_metadata_that_is_not_json_is_422(org_client: Any) -> None:
    bom = example("nmc811_pouch")
    response = org_client.post(
        "/v1/boms/import",
        files={"file": ("bom.csv", csv_bytes(HEADER, table_rows(bom)), "text/csv")},
        data={"metadata": "{not json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["metadata"]


def test_quantities_with_their_unit_need_no_unit_column(org_client: Any) -> None:
    bom = example("nmc811_pouch")
    rows = [[line["component"], line["material"], line["amount"]] for line in bom["lines"]]
    response = org_client.post(
        "/v1/boms/import",
        files={"file": ("bom.csv", csv_bytes(["Assembly", "Item", "Amount"], rows), "text/csv")},
        data={"metadata": metadata(bom)},
    )
    assert response.status_code == 201, response.text
    assert response.json()["lines"][0]["amount"] == pytest.approx(0.3309)


def test_a_thousands_dot_in_a_semicolon_file_is_not_guessed(org_client: Any) -> None:
    bom = example("lfp_prismatic")
    rows = [[c, m, q, u] for c, m, q, u, _ in table_rows(bom)]
    rows[0][2] = "1.266"  # 1266 g with a thousands dot, or 1.266 g?
    response = org_client.post(
        "/v1/boms/import",
        files={"file": ("bom.csv", csv_bytes(HEADER[:4], rows, delimiter=";"), "text/csv")},
        data={"metadata": metadata(bom)},
    )
    assert response.status_code == 422
    (problem,) = response.json()["errors"]
    assert (problem["row"], problem["column"]) == (2, "Qty")
    assert "ambiguous" in problem["msg"]


def test_a_file_past_the_row_limit_is_refused_early(org_client: Any) -> None:
    from app.boms.upload_table import MAX_ROWS

    rows = [["cathode", "nmc811_cam", "1", "g"]] * (MAX_ROWS + 5)
    response = org_client.post(
        "/v1/boms/import",
        files={"file": ("big.xlsx", xlsx_bytes(HEADER[:4], rows), XLSX_TYPE)},
        data={"metadata": metadata(example("nmc811_pouch"))},
    )
    assert response.status_code == 422
    assert f"more than {MAX_ROWS} rows" in response.json()["detail"]


def test_control_characters_in_cells_and_fields_are_refused_where_they_are(
    org_client: Any,
) -> None:
    """A NUL in a cell was stored on SQLite and refused without a place on PostgreSQL."""
    bom = example("nmc811_pouch")
    rows = table_rows(bom)[:3]
    rows[0][0] = "Cathode\x00"  # row 2, Component
    rows[2][4] = "datasheet\x1b[31m"  # row 4, Source
    meta = {key: value for key, value in bom.items() if key != "lines"}
    meta["description"] = "bell\x07"
    before = _bom_count(org_client)
    response = org_client.post(
        "/v1/boms/import",
        files={"file": ("bad.csv", csv_bytes(HEADER, rows), "text/csv")},
        data={"metadata": __import__("json").dumps(meta), "plant_name": "Line\x7f1"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problems = response.json()["errors"]
    by_place = {tuple(p["loc"]): p["msg"] for p in problems}
    assert "U+0000" in by_place[("file", 2, HEADER[0])]
    assert "U+001B" in by_place[("file", 4, HEADER[4])]
    assert "U+0007" in by_place[("metadata", "description")]
    assert "U+007F" in by_place[("plant_name",)]
    assert _bom_count(org_client) == before
