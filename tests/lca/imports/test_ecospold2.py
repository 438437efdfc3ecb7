"""Importing the test system as an ecospold2 release (a zip of .spold files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lca.background import load_background
from lca.footprint import compute, reference_score
from lca.imports.mapping import compute_mapped, materials_of
from lca.imports.report import UNCHARACTERISED_GHG
from tests.lca.imports.helpers import BOM, BOM_KG_CO2E, mapping_by_suggestion
from tests.lca.imports.system import ACTIVITIES, HALON_1001, UNIT_SCORES


def _imported(ecospold2_import):  # type: ignore[no-untyped-def]
    result, _ = ecospold2_import
    return load_background(Path(result.descriptor.brightway_dir))


def test_unit_scores_worked_out_by_hand(ecospold2_import, direct_background) -> None:  # type: ignore[no-untyped-def]
    """Every activity's GWP100 as worked out in the docstring of tests/lca/imports/system.py
    (float32 storage: 1e-7), and equal to the directly built system to 1e-9."""
    imported = _imported(ecospold2_import)
    mapping = mapping_by_suggestion(direct_background, imported)
    for code, expected in UNIT_SCORES.items():
        assert imported.unit_score(mapping.entries[code]) == pytest.approx(expected, rel=1e-7)
        assert imported.unit_score(mapping.entries[code]) == pytest.approx(
            direct_background.unit_score(code), rel=1e-9
        )


def test_bom_footprint_equals_direct_build(ecospold2_import, direct_background) -> None:  # type: ignore[no-untyped-def]
    """The BOM of tests/lca/imports/helpers.py: 1.9803822 kg CO2e by hand; the same on the
    import, on the direct build and in a plain bw2calc LCA of the import, to 1e-9."""
    imported = _imported(ecospold2_import)
    mapping = mapping_by_suggestion(direct_background, imported)
    materials = materials_of(direct_background)
    on_import = compute_mapped(imported, BOM, mapping, materials, nominal_energy_kwh=0.2)
    direct = compute(direct_background, BOM, nominal_energy_kwh=0.2)
    assert direct.kg_co2e == pytest.approx(BOM_KG_CO2E, rel=1e-7)
    assert on_import.kg_co2e == pytest.approx(direct.kg_co2e, rel=1e-9)
    assert on_import.kg_co2e_gwp20 == pytest.approx(direct.kg_co2e_gwp20, rel=1e-9)
    assert on_import.by_gas == pytest.approx(direct.by_gas, rel=1e-9, abs=1e-15)
    mapped = [
        type(item)(item.label, mapping.entries[item.product], item.amount, item.component)
        for item in BOM
    ]
    assert on_import.kg_co2e == pytest.approx(reference_score(imported, mapped), rel=1e-9)


def test_descriptor_names_version_format_and_size(ecospold2_import) -> None:  # type: ignore[no-untyped-def]
    result, _ = ecospold2_import
    descriptor = result.descriptor
    assert descriptor.source_format == "ecospold2"
    assert descriptor.name == "test system (ecospold2)"
    assert len(descriptor.version) == 64
    assert descriptor.activities == len(ACTIVITIES)
    # 12 production exchanges + 19 inputs + 15 emissions + 1 halon emission
    assert descriptor.exchanges == 12 + 19 + 15 + 1
    assert Path(descriptor.brightway_dir).name == descriptor.version
    saved = json.loads((Path(descriptor.brightway_dir) / "cellcarbon-import.json").read_text())
    assert saved["brightway_dir"] == descriptor.brightway_dir  # the final place, not staging
    assert result.report.ok


def test_method_linked_by_uuid_and_by_name_with_coverage(ecospold2_import) -> None:  # type: ignore[no-untyped-def]
    """Steel's CO2 goes to 'urban air close to ground' and copper's N2O to 'non-urban air':
    other UUIDs than data/method/flows.csv names, found by name in the same compartment.
    Shares of GWP100 on the test footprint (one unit of each product) sum to 1."""
    result, _ = ecospold2_import
    coverage = result.descriptor.coverage
    assert set(coverage.found["co2_fossil"]) == {"uuid", "name"}
    assert "name" in coverage.found["n2o"]
    assert coverage.missing == []
    assert sum(coverage.share_by_flow.values()) == pytest.approx(1.0, rel=1e-9)
    assert coverage.share_by_flow["co2_fossil"] > 0.5
    # One unit of every product: the sum of the twelve unit scores.
    assert coverage.test_footprint_kg_co2e == pytest.approx(sum(UNIT_SCORES.values()), rel=1e-7)


def test_uncharacterised_greenhouse_gas_is_reported(ecospold2_import) -> None:  # type: ignore[no-untyped-def]
    """Graphite emits 1 mg of Halon 1001, a greenhouse gas our method does not list."""
    result, _ = ecospold2_import
    assert result.descriptor.coverage.uncharacterised_ghg == [f"biosphere3:{HALON_1001}"]
    assert result.descriptor.coverage.uncharacterised_ghg_kg == pytest.approx(1e-6, rel=1e-6)
    warnings = result.report.of_kind(UNCHARACTERISED_GHG)
    assert len(warnings) == 1 and "Halon 1001" in warnings[0].location


def test_progress_rises_to_done(ecospold2_import) -> None:  # type: ignore[no-untyped-def]
    _, progress = ecospold2_import
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0 and progress[-1][1] == "done"
    assert any("extracting" in stage for _, stage in progress)


def test_same_release_twice_reuses_the_first_import(
    ecospold2_zip, ecospold2_import, import_root
) -> None:  # type: ignore[no-untyped-def]
    from lca.imports.pipeline import import_background

    first, _ = ecospold2_import
    again = import_background(ecospold2_zip, import_root)
    assert again.reused
    assert again.descriptor.version == first.descriptor.version
    assert again.descriptor.brightway_dir == first.descriptor.brightway_dir
