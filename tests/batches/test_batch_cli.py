"""``cellcarbon batch``: a variants CSV in, a results CSV out, through the application."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.batches.variants_csv import VariantsFileError, ndjson_lines, read_variants
from app.cli import cli
from tests.conftest import make_organisation

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "examples" / "nmc811_pouch.json"


def test_a_variants_file_reads_as_the_batch_body() -> None:
    text = (
        "key,grid_region,substitutions,recycled_Ni,recycled_Co,suppliers\n"
        "base,,,,,\n"
        "cn-natural,CN,graphite_synthetic_cn=graphite_natural_cn ; a=b,30%,0.25,\n"
        "swap,,,,,nmc811_cam=7f0c1c0e-0000-4000-8000-000000000001\n"
    )
    assert read_variants(text) == [
        {"key": "base"},
        {
            "key": "cn-natural",
            "grid_region": "CN",
            "substitutions": {"graphite_synthetic_cn": "graphite_natural_cn", "a": "b"},
            "recycled_share": {"Ni": 0.3, "Co": 0.25},
        },
        {"key": "swap", "suppliers": {"nmc811_cam": "7f0c1c0e-0000-4000-8000-000000000001"}},
    ]


def test_every_problem_of_a_variants_file_at_once() -> None:
    text = "key,recycled_Ni,substitutions\na,1.5,x\na,ten,=y\n,,\n"
    with pytest.raises(VariantsFileError) as caught:
        read_variants(text)
    assert caught.value.problems == [
        "row 2, substitutions: 'x' is not old=new",
        "row 2, recycled_Ni: 1.5 is not within 0–100 %",
        "row 3, substitutions: '=y' is not old=new",
        "row 3, recycled_Ni: 'ten' is not a number or percentage",
        "row 3: key 'a' is also on row 2",
        "row 4: key is empty",
    ]
    with pytest.raises(VariantsFileError, match="unknown column 'grid'"):
        read_variants("key,grid\na,DE\n")


def test_ndjson_split_anywhere_parses_whole_lines() -> None:
    body = b'{"key":"a","x":1}\n{"key":"b","x":2}\n'
    pieces = [body[:5], body[5:21], body[21:]]
    assert [line["key"] for line in ndjson_lines(pieces)] == ["a", "b"]


def test_the_command_writes_one_row_per_variant(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """In-process (no --url): the example BOM file as the base, a valid variant, one with an
    unknown region; the CSV has both, in order, and the command exits 3 for the problem."""
    from app.core.settings import get_settings

    token = make_organisation(settings, "cli batch")
    monkeypatch.setenv("CELLCARBON_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CELLCARBON_BRIGHTWAY_DIR", str(settings.brightway_dir))
    get_settings.cache_clear()
    variants = tmp_path / "variants.csv"
    variants.write_text("key,grid_region,recycled_Li\nse,SE,10%\nnowhere,ATLANTIS,\n")
    output = tmp_path / "results.csv"
    try:
        result = CliRunner().invoke(
            cli,
            ["batch", str(EXAMPLE), str(variants), "-o", str(output), "--api-key", token],
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 3, result.output
    rows = list(csv.DictReader(io.StringIO(output.read_text())))
    assert [row["key"] for row in rows] == ["se", "nowhere"]
    assert float(rows[0]["kg_co2e_per_cell"]) > 0 and rows[0]["problem"] == ""
    assert rows[1]["kg_co2e_per_cell"] == ""
    assert rows[1]["problem"].startswith("variants.1.grid_region: unknown grid region")
