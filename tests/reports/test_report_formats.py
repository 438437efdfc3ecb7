"""Every report format of one stored footprint agrees with the JSON report, number for number."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.reports.pdf import number

IN_CI = os.environ.get("CI", "").lower() == "true"


def _get(client, url: str, **kwargs: Any) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.text
    return response.content


@pytest.fixture(scope="module")
def report(client, four_stage_footprint) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return client.get(f"/v1/footprints/{four_stage_footprint['id']}/report").json()


def test_json_report_has_the_four_stages_and_the_functional_unit(
    report, four_stage_footprint
) -> None:  # type: ignore[no-untyped-def]
    """Functional unit of an M1 car battery cell: 0.219 kWh × 60 cycles/year × 8 years
    = 105.12 kWh; per kWh delivered = per cell / 105.12."""
    unit = report["functional_unit"]
    assert unit["total_energy_kwh"] == pytest.approx(0.219 * 60 * 8, rel=1e-12)
    results = report["results"]
    assert results["kg_co2e_per_cell"] == four_stage_footprint["kg_co2e_per_cell"]
    assert results["kg_co2e_per_kwh_delivered"] == pytest.approx(
        results["kg_co2e_per_cell"] / 105.12, rel=1e-12
    )
    stages = {s["stage"]: s for s in report["stages"]}
    assert len(stages) == 4 and all(s["assessed"] for s in stages.values())
    assert sum(s["kg_co2e_per_cell"] for s in stages.values()) == pytest.approx(
        results["kg_co2e_per_cell"], rel=1e-12
    )
    assert stages["distribution"]["kg_co2e_per_cell"] > 0
    assert stages["end_of_life_and_recycling"]["kg_co2e_per_cell"] > 0
    params = report["lifecycle_parameters"]
    assert params["distribution"]["origin_country"] == "US" and params["distribution"]["defaults"]
    assert params["end_of_life"]["route"] == "hydrometallurgical"
    assert "no credits" in params["end_of_life"]["approach"]
    assert report["sources"] and report["identification"]["input_sha256"]


def test_json_and_csv_are_byte_identical_when_generated_twice(client, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    url = f"/v1/footprints/{four_stage_footprint['id']}/report"
    for fmt in ("json", "csv"):
        assert _get(client, f"{url}?format={fmt}") == _get(client, f"{url}?format={fmt}")


def test_csv_numbers_are_the_json_numbers(client, report, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    body = _get(client, f"/v1/footprints/{four_stage_footprint['id']}/report?format=csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    value = {(r["section"], r["item"], r["quantity"]): r["value"] for r in rows}
    for name, number_ in report["results"].items():
        assert float(value[("results", name, "value")]) == number_
    for stage in report["stages"]:
        assert float(value[("stage", stage["stage"], "kg_co2e")]) == stage["kg_co2e_per_cell"]
    for line in report["lines"]:
        assert float(value[("line", line["label"], "kg_co2e")]) == line["kg_co2e_per_cell"]
    for gas in report["gases"]:
        assert float(value[("gas", gas["name"], "kg_co2e")]) == gas["kg_co2e_per_cell"]


# openpyxl writes floats as "%.16g" (Excel itself keeps 15 significant digits), so the last
# binary digit of a double may differ: equal to 1e-15 relative is equal for a spreadsheet.
XLSX = {"rel": 1e-15}


def test_xlsx_holds_the_json_numbers_as_numbers(client, report, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    body = _get(client, f"/v1/footprints/{four_stage_footprint['id']}/report?format=xlsx")
    book = load_workbook(io.BytesIO(body), read_only=True)
    assert book.sheetnames == [
        "summary",
        "stages",
        "components",
        "lines",
        "suppliers",
        "gases",
        "upstream",
        "rulesets",
        "sources",
    ]
    stages = list(book["stages"].iter_rows(values_only=True))
    assert stages[0][2] == "kg CO2e per cell"
    assert [row[2] for row in stages[1:]] == pytest.approx(
        [s["kg_co2e_per_cell"] for s in report["stages"]], **XLSX
    )
    lines = list(book["lines"].iter_rows(values_only=True))[1:]
    assert [row[7] for row in lines] == pytest.approx(
        [line["kg_co2e_per_cell"] for line in report["lines"]], **XLSX
    )
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(values_only=True)}
    assert summary["kg_co2e_per_kwh_delivered"] == pytest.approx(
        report["results"]["kg_co2e_per_kwh_delivered"], **XLSX
    )
    assert isinstance(summary["kg_co2e_per_cell"], float)


def test_pdf_text_shows_the_json_numbers(client, report, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    body = _get(client, f"/v1/footprints/{four_stage_footprint['id']}/report?format=pdf")
    reader = PdfReader(io.BytesIO(body))
    assert 1 <= len(reader.pages) <= 3
    text = "\n".join(page.extract_text() for page in reader.pages)
    results = report["results"]
    for name in ("kg_co2e_per_cell", "kg_co2e_per_kwh_nominal", "kg_co2e_per_kwh_delivered"):
        assert number(results[name]) in text, name
    for stage in report["stages"]:
        assert number(stage["kg_co2e_per_cell"]) in text
        assert number(stage["kg_co2e_per_kwh_delivered"]) in text
    for component in report["components"]:
        assert number(component["kg_co2e_per_cell"]) in text
    assert "not yet defined by law" in text
    assert report["identification"]["input_sha256"] in text


def test_pdf_first_page_renders_as_an_image(client, four_stage_footprint, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """pdftoppm (poppler) rasterises page 1; the page is A4 and carries ink (charts, tables)."""
    if shutil.which("pdftoppm") is None:
        if IN_CI:
            pytest.fail("pdftoppm missing in CI (make test installs poppler-utils)")
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed")
    from matplotlib.image import imread

    pdf_path = tmp_path / "report.pdf"
    pdf_path.write_bytes(
        _get(client, f"/v1/footprints/{four_stage_footprint['id']}/report?format=pdf")
    )
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "50",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    image = imread(tmp_path / "page.png")
    height, width = image.shape[:2]
    assert height / width == pytest.approx(297 / 210, rel=0.01)
    ink = (image[..., :3].mean(axis=2) < 0.9).mean()
    assert 0.02 < ink < 0.5  # text, tables and the stage chart; not blank, not a black page
    # The stage bar chart draws in its colours (blue raw materials, orange production).
    blue = ((image[..., 0] < 0.35) & (image[..., 2] > 0.55)).mean()
    assert blue > 0.005


def test_accept_negotiation_and_unknown_formats(client, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    url = f"/v1/footprints/{four_stage_footprint['id']}/report"
    response = client.get(url, headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    response = client.get(url, headers={"Accept": "application/pdf;q=0.9, text/html;q=1"})
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].endswith('.pdf"')
    response = client.get(url, headers={"Accept": "*/*"})
    assert response.headers["content-type"].startswith("application/json")
    response = client.get(f"{url}?format=docx")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["query", "format"]
    assert "json, csv, xlsx, pdf" in response.json()["detail"]
    response = client.get(url, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/pdf" in response.json()["detail"]


def test_rulesets_side_by_side_in_every_format(client, report, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    """JSON lists the five rulesets as the footprint stores them; CSV, XLSX and PDF the same
    numbers; the headline's ruleset gives the headline figure."""
    url = f"/v1/footprints/{four_stage_footprint['id']}/report"
    rulesets = {f"{e['code']}/{e['version']}": e for e in report["electricity_rulesets"]}
    assert rulesets == {
        f"{e['code']}/{e['version']}": e for e in four_stage_footprint["electricity_rulesets"]
    }
    assert len(rulesets) == 5 and report["headline_ruleset"] == "ghgp-scope2-location/2015"
    assert rulesets["ghgp-scope2-location/2015"]["kg_co2e_per_cell"] == pytest.approx(
        report["results"]["kg_co2e_per_cell"], rel=1e-12
    )
    rows = list(csv.DictReader(io.StringIO(_get(client, f"{url}?format=csv").decode())))
    value = {(r["section"], r["item"], r["quantity"]): r["value"] for r in rows}
    book = load_workbook(io.BytesIO(_get(client, f"{url}?format=xlsx")), read_only=True)
    sheet = {row[0]: row for row in book["rulesets"].iter_rows(min_row=2, values_only=True)}
    text = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(_get(client, f"{url}?format=pdf"))).pages
    )
    for key, entry in rulesets.items():
        if not entry["applicable"]:
            assert ("electricity_ruleset", key, "kg_co2e") not in value
            continue
        assert float(value[("electricity_ruleset", key, "kg_co2e")]) == entry["kg_co2e_per_cell"]
        name = key + (" (headline)" if key == report["headline_ruleset"] else "")
        assert sheet[name][3] == pytest.approx(entry["kg_co2e_per_cell"], **XLSX)
        assert number(entry["kg_co2e_per_cell"]) in text
