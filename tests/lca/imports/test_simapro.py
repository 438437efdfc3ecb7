"""Importing the test system as a SimaPro CSV process export."""

from __future__ import annotations

from pathlib import Path

import pytest

from lca.background import load_background
from lca.footprint import compute
from lca.imports.mapping import compute_mapped, materials_of
from lca.imports.pipeline import import_background
from lca.imports.report import MALFORMED, UNLINKED_EXCHANGE, ImportFailed
from tests.lca.imports.helpers import BOM, BOM_KG_CO2E, leftovers, mapping_by_suggestion
from tests.lca.imports.system import UNIT_SCORES
from tests.lca.imports.system_simapro import simapro_csv_text, write_simapro_csv


def test_bom_footprint_equals_direct_build(simapro_import, direct_background) -> None:  # type: ignore[no-untyped-def]
    """1.9803822 kg CO2e by hand (tests/lca/imports/helpers.py), and the direct build's to 1e-9."""
    imported = load_background(Path(simapro_import.descriptor.brightway_dir))
    mapping = mapping_by_suggestion(direct_background, imported)
    for code, expected in UNIT_SCORES.items():
        assert imported.unit_score(mapping.entries[code]) == pytest.approx(expected, rel=1e-7)
    materials = materials_of(direct_background)
    on_import = compute_mapped(imported, BOM, mapping, materials, nominal_energy_kwh=0.2)
    direct = compute(direct_background, BOM, nominal_energy_kwh=0.2)
    assert on_import.kg_co2e == pytest.approx(BOM_KG_CO2E, rel=1e-7)
    assert on_import.kg_co2e == pytest.approx(direct.kg_co2e, rel=1e-9)
    assert on_import.by_gas == pytest.approx(direct.by_gas, rel=1e-9, abs=1e-15)


def test_product_names_split_into_activity_product_and_location(simapro_import) -> None:  # type: ignore[no-untyped-def]
    imported = load_background(Path(simapro_import.descriptor.brightway_dir))
    copper = next(p for p in imported.products.values() if p.reference_product == "copper")
    assert (copper.name, copper.location, copper.unit) == (
        "copper production, primary",
        "CL",
        "kilogram",
    )
    descriptor = simapro_import.descriptor
    assert descriptor.source_format == "simapro-csv"
    assert descriptor.activities == 12
    assert descriptor.coverage.found["co2_fossil"] == ["name"]


def test_input_made_by_no_process_is_reported(tmp_path: Path, import_root: Path) -> None:
    text = simapro_csv_text().replace(
        "aluminium {CN}| aluminium production, primary, ingot | CellCarbon test;kg;0.05",
        "aluminium {CA}| aluminium production, primary, ingot | CellCarbon test;kg;0.05",
    )
    before = leftovers(import_root)
    with pytest.raises(ImportFailed) as info:
        import_background(write_simapro_csv(tmp_path / "export.csv", text), import_root)
    (problem,) = info.value.report.of_kind(UNLINKED_EXCHANGE)
    assert "aluminium {CA}" in problem.detail
    assert leftovers(import_root) == before


def test_unreadable_export_is_reported(tmp_path: Path, import_root: Path) -> None:
    """A block heading SimaPro does not write ('Emissions to space') cannot be parsed."""
    text = simapro_csv_text().replace("Emissions to air", "Emissions to space", 1)
    with pytest.raises(ImportFailed) as info:
        import_background(write_simapro_csv(tmp_path / "export.csv", text), import_root)
    assert info.value.report.errors[0].kind == MALFORMED
