"""The `cellcarbon` command, run as a real subprocess against a built background."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lca.bom import normalise_bom
from lca.footprint import reference_score
from tests.servers import run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "examples" / "nmc811_pouch.json"


def _cellcarbon(*args: str, brightway_dir: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"CELLCARBON_BRIGHTWAY_DIR": str(brightway_dir)})


def test_footprint_json_equals_plain_bw2calc(real_background_dir, real_background) -> None:  # type: ignore[no-untyped-def]
    run = _cellcarbon("footprint", str(EXAMPLE), "--json", brightway_dir=real_background_dir)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    bom = json.loads(EXAMPLE.read_text())
    expected = reference_score(
        real_background, normalise_bom(bom, real_background).foreground_inputs()
    )
    assert result["kg_co2e"] == pytest.approx(expected, rel=1e-9)
    assert result["background_version"] == real_background.version


def test_footprint_table_and_grid_override(real_background_dir) -> None:  # type: ignore[no-untyped-def]
    us = _cellcarbon("footprint", str(EXAMPLE), brightway_dir=real_background_dir)
    se = _cellcarbon(
        "footprint", str(EXAMPLE), "--grid-region", "SE", brightway_dir=real_background_dir
    )
    assert us.returncode == 0 and se.returncode == 0, us.stderr + se.stderr
    assert "kg CO2e/kWh" in us.stdout and "plant electricity (US-SRTV)" in us.stdout
    per_kwh = [float(r.stdout.strip().splitlines()[-1].split()[2]) for r in (us, se)]
    assert per_kwh[1] < per_kwh[0]


def test_footprint_of_a_bad_bom_says_why(tmp_path: Path, real_background_dir) -> None:  # type: ignore[no-untyped-def]
    bom = json.loads(EXAMPLE.read_text())
    bom["lines"][0]["amount"] = "3 kWh"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bom))
    run = _cellcarbon("footprint", str(path), brightway_dir=real_background_dir)
    assert run.returncode == 2
    assert "lines.0.amount" in run.stderr and "expected a mass" in run.stderr


def test_background_build_skips_when_unchanged(real_background_dir) -> None:  # type: ignore[no-untyped-def]
    run = _cellcarbon("background", "build", brightway_dir=real_background_dir)
    assert run.returncode == 0, run.stderr
    assert "is up to date; nothing to build" in run.stdout


def test_footprint_monte_carlo_is_reproducible(real_background_dir) -> None:  # type: ignore[no-untyped-def]
    runs = [
        _cellcarbon(
            "footprint",
            str(EXAMPLE),
            "--json",
            "--mc",
            "200",
            "--seed",
            "5",
            brightway_dir=real_background_dir,
        )
        for _ in range(2)
    ]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr
    first, second = (json.loads(run.stdout)["monte_carlo"] for run in runs)
    assert first == second
    assert first["iterations"] == 200 and first["seed"] == 5
    assert first["percentiles"]["p2.5"] < first["static"] < first["percentiles"]["p97.5"]
