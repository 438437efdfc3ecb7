"""The verification bundle: recomputed by its own script in a fresh virtual environment that holds
only bw2calc and bw_processing, equal to the stored figures to 1e-9; a changed byte is caught."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from lca.bom import normalise_bom
from lca.bundle import BundleCase, bundle_bytes
from lca.footprint import ForegroundInput, ForegroundProcess, compute, reference_score
from tests.servers import run_recompute

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "examples" / "nmc811_pouch.json"


def _unpack(data: bytes, directory: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(directory)
    return directory


def test_bundle_of_the_example_recomputes_in_a_fresh_venv(  # type: ignore[no-untyped-def]
    real_background, verifier_python: Path, tmp_path: Path
) -> None:
    bom = json.loads(EXAMPLE.read_text())
    normalised = normalise_bom(bom, real_background)
    inputs = normalised.foreground_inputs()
    result = compute(real_background, inputs, normalised.nominal_energy_kwh)
    stored = {"gwp100": result.kg_co2e, "gwp20": result.kg_co2e_gwp20}
    data = bundle_bytes(
        real_background,
        [BundleCase("location_based", inputs, stored)],
        nominal_energy_kwh=normalised.nominal_energy_kwh,
        documents={"bom/posted.json": bom},
    )
    bundle_dir = _unpack(data, tmp_path / "bundle")
    run = run_recompute(verifier_python, bundle_dir)
    assert run.returncode == 0, run.stderr + run.stdout
    rows = {(r["case"], r["method"]): r for r in json.loads(run.stdout)}
    assert set(rows) == {("location_based", "gwp100"), ("location_based", "gwp20")}
    for (_, method), row in rows.items():
        assert row["recomputed_kg_co2e_per_cell"] == pytest.approx(stored[method], rel=1e-9)
        assert row["match"] is True
    # The posted BOM travels unchanged.
    assert json.loads((bundle_dir / "documents/bom/posted.json").read_text()) == bom


def test_aggregated_and_supplier_processes_recompute_exactly(  # type: ignore[no-untyped-def]
    toy_background, verifier_python: Path, tmp_path: Path
) -> None:
    """A cell of 0.3 kg steel from a supplier process (1 kWh grid electricity + 0.5 kg direct
    fossil CO2 per kg) and 0.1 kg 'solvent' priced by an aggregated PCF row (2.0 kg CO2e GWP100,
    2.5 GWP20 per kg). GWP100: 0.3 × (0.5298 + 0.5) + 0.1 × 2.0 = 0.30894 + 0.2 = 0.50894."""
    from lca.background import INDICATORS

    row = [0.0] * len(INDICATORS)
    row[INDICATORS.index("gwp100")] = 2.0
    row[INDICATORS.index("gwp20")] = 2.5
    processes = {
        "steel@supplier": ForegroundProcess(
            code="steel@supplier",
            product="steel",
            inputs=(("electricity_grid_xx", 1.0),),
            emissions=(("co2_fossil", 0.5),),
        ),
        "solvent@pcf": ForegroundProcess(
            code="solvent@pcf",
            product="solvent",
            inputs=(),
            emissions=(),
            aggregated_row=tuple(row),
        ),
    }
    inputs = [
        ForegroundInput("steel", "steel@supplier", 0.3, "casing"),
        ForegroundInput("solvent", "solvent@pcf", 0.1, "electrolyte"),
    ]
    result = compute(toy_background, inputs, 0.2, processes)
    assert result.kg_co2e == pytest.approx(0.50894, rel=1e-7)
    # The in-process plain bw2calc path handles the aggregated row too, in both methods.
    assert reference_score(toy_background, inputs, processes=processes) == pytest.approx(
        result.kg_co2e, rel=1e-9
    )
    assert reference_score(toy_background, inputs, "gwp20", processes) == pytest.approx(
        result.kg_co2e_gwp20, rel=1e-9
    )
    stored = {"gwp100": result.kg_co2e, "gwp20": result.kg_co2e_gwp20}
    data = bundle_bytes(
        toy_background,
        [BundleCase("market_based", inputs, stored, processes)],
        nominal_energy_kwh=0.2,
    )
    bundle_dir = _unpack(data, tmp_path / "bundle")
    run = run_recompute(verifier_python, bundle_dir)
    assert run.returncode == 0, run.stderr + run.stdout
    for row_out in json.loads(run.stdout):
        assert row_out["recomputed_kg_co2e_per_cell"] == pytest.approx(
            stored[row_out["method"]], rel=1e-9
        )


def test_a_changed_byte_or_figure_fails_verification(  # type: ignore[no-untyped-def]
    toy_background, verifier_python: Path, tmp_path: Path
) -> None:
    inputs = [ForegroundInput("a", "steel", 0.2, "casing")]
    result = compute(toy_background, inputs, 0.2)
    data = bundle_bytes(
        toy_background,
        [BundleCase("location_based", inputs, {"gwp100": result.kg_co2e})],
        nominal_energy_kwh=0.2,
    )
    # One byte of the foreground datapackage flipped: the hash check refuses it.
    tampered = _unpack(data, tmp_path / "tampered")
    target = tampered / "datapackages/foreground/location_based.zip"
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    target.write_bytes(bytes(raw))
    run = run_recompute(verifier_python, tampered)
    assert run.returncode == 2
    assert "location_based.zip" in run.stderr
    # A stored figure that is not what the data gives: recomputed, and reported as different.
    lying = _unpack(data, tmp_path / "lying")
    manifest = json.loads((lying / "manifest.json").read_text())
    manifest["cases"][0]["stored_kg_co2e"]["gwp100"] *= 1.000001
    (lying / "manifest.json").write_text(json.dumps(manifest))
    run = run_recompute(verifier_python, lying)
    assert run.returncode == 1
    assert json.loads(run.stdout)[0]["match"] is False


def test_licensed_background_is_left_out_and_named(  # type: ignore[no-untyped-def]
    toy_background, verifier_python: Path, tmp_path: Path
) -> None:
    inputs = [ForegroundInput("a", "steel", 0.2, "casing")]
    data = bundle_bytes(
        toy_background,
        [BundleCase("location_based", inputs, {"gwp100": 0.52392})],
        nominal_energy_kwh=0.2,
        include_background=False,
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        readme = archive.read("README.md").decode()
    assert not any(name.startswith("datapackages/background/") for name in names)
    assert manifest["background"]["included"] is False
    for name in manifest["background"]["datapackages"]:
        assert f"`{name}`" in readme
    assert "Licensed background not included" in readme
    run = run_recompute(verifier_python, _unpack(data, tmp_path / "bundle"))
    assert run.returncode == 2
    assert "missing" in run.stderr and "README.md" in run.stderr
