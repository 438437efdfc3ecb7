"""The footprint figures printed in README.md are what the code computes from data/ today.

The README shows the CLI output for the example NMC811 cell and headline numbers of the API's
answer. Both are re-computed here: a change to data/ that moves them fails this test until the
README is updated from a real run (never by hand-editing a number).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.settings import get_settings
from lca.validation import example_boms, footprint_in

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_COMMAND = "$ .venv/bin/cellcarbon footprint data/examples/nmc811_pouch.json\n"


def _readme_cli_block() -> str:
    """The lines the README shows under the plain CLI command, up to the next command."""
    start = README.index(CLI_COMMAND) + len(CLI_COMMAND)
    end = README.index("\n\n$ ", start)
    return README[start:end].strip("\n")


@pytest.fixture
def cli_settings(real_background_dir: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CELLCARBON_BRIGHTWAY_DIR", str(real_background_dir))
    monkeypatch.chdir(ROOT)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_readme_cli_output_is_what_the_cli_prints(cli_settings) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["footprint", "data/examples/nmc811_pouch.json"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip("\n") == _readme_cli_block()


def test_readme_api_headline_figures_are_computed(real_background) -> None:  # type: ignore[no-untyped-def]
    result = footprint_in(real_background, example_boms()["nmc811_pouch"], None)
    quoted = {
        key: float(value)
        for key, value in re.findall(
            r'"(kg_co2e_per_cell|kg_co2e_per_kwh|kg_co2e_per_cell_gwp20)"'
            r": ([0-9.]+)",
            README,
        )
    }
    assert quoted == {
        "kg_co2e_per_cell": round(result.kg_co2e, 4),
        "kg_co2e_per_kwh": round(result.kg_co2e_per_kwh, 4),
        "kg_co2e_per_cell_gwp20": round(result.kg_co2e_gwp20, 4),
    }
    by_component = json.loads(
        re.search(r'"by_component": (\{[^}]*\})', README).group(1)  # type: ignore[union-attr]
    )
    assert by_component == {k: round(v, 4) for k, v in result.by_component.items()}
