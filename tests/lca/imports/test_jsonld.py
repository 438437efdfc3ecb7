"""Importing the test system as an openLCA JSON-LD zip."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from lca.background import load_background
from lca.footprint import compute
from lca.imports.mapping import compute_mapped, materials_of
from lca.imports.pipeline import import_background
from lca.imports.report import MALFORMED, UNLINKED_EXCHANGE, ImportFailed
from lca.imports.shipped import shipped_unit_scores
from tests.lca.imports.helpers import BOM, BOM_KG_CO2E, leftovers, mapping_by_suggestion
from tests.lca.imports.system import UNIT_SCORES
from tests.lca.imports.system_jsonld import (
    jsonld_documents,
    jsonld_process_path,
    write_jsonld_zip,
)


def _imported(result):  # type: ignore[no-untyped-def]
    return load_background(Path(result.descriptor.brightway_dir))


def test_bom_footprint_equals_direct_build(jsonld_import, direct_background) -> None:  # type: ignore[no-untyped-def]
    """1.9803822 kg CO2e by hand (tests/lca/imports/helpers.py), and the direct build's to
    1e-9; CF4 and C2F6 were given in grams and converted by bw2io."""
    imported = _imported(jsonld_import)
    mapping = mapping_by_suggestion(direct_background, imported)
    for code, expected in UNIT_SCORES.items():
        assert imported.unit_score(mapping.entries[code]) == pytest.approx(expected, rel=1e-7)
    materials = materials_of(direct_background)
    on_import = compute_mapped(imported, BOM, mapping, materials, nominal_energy_kwh=0.2)
    direct = compute(direct_background, BOM, nominal_energy_kwh=0.2)
    assert on_import.kg_co2e == pytest.approx(BOM_KG_CO2E, rel=1e-7)
    assert on_import.kg_co2e == pytest.approx(direct.kg_co2e, rel=1e-9)
    assert on_import.by_gas == pytest.approx(direct.by_gas, rel=1e-9, abs=1e-15)


def test_own_biosphere_linked_by_name_qualifier_and_cas(jsonld_import) -> None:  # type: ignore[no-untyped-def]
    """The package's flows have their own UUIDs: 'Methane (fossil)' is found by name,
    'Nitrous oxide' only by CAS 10024-97-2."""
    descriptor = jsonld_import.descriptor
    assert descriptor.source_format == "openlca-jsonld"
    assert descriptor.biosphere_flows == 7
    coverage = descriptor.coverage
    assert coverage.found["ch4_fossil"] == ["name"]
    assert coverage.found["n2o"] == ["cas"]
    assert "nf3" in coverage.missing  # the package has no NF3 flow
    assert sum(coverage.share_by_flow.values()) == pytest.approx(1.0, rel=1e-9)


def test_shipped_climate_method_is_usable(jsonld_import) -> None:  # type: ignore[no-untyped-def]
    """The package's 'Climate change' category (AR5: CH4 28, CF4 6,630, C2F6 11,100):
    electricity 0.4 + 0.002 × 28 = 0.456; aluminium 15 × 0.456 + 1.6 + 1e-4 × 6,630
    + 1e-4 × 11,100 = 6.84 + 1.6 + 0.663 + 1.11 = 10.213 kg CO2e."""
    descriptor = jsonld_import.descriptor
    method = ("shipped", "Climate change - GWP100 (IPCC AR5)")
    assert list(method) in descriptor.coverage.shipped_methods
    imported = _imported(jsonld_import)
    scores = shipped_unit_scores(imported, method)
    by_name = {imported.products[code].name: score for code, score in scores.items()}
    assert by_name["electricity production, grid mix"] == pytest.approx(0.456, rel=1e-7)
    assert by_name["aluminium production, primary, ingot"] == pytest.approx(10.213, rel=1e-7)


def test_input_without_provider_is_reported(tmp_path: Path, import_root: Path) -> None:
    """The cathode names no default provider; with a second process making aluminium, its
    aluminium input has two candidates and cannot be linked."""
    documents = jsonld_documents()
    twin = json.loads(json.dumps(documents[jsonld_process_path("aluminium")]))
    twin["@id"] = "0a0a0a0a-0000-4000-8000-000000000001"
    documents[f"processes/{twin['@id']}.json"] = twin
    archive = write_jsonld_zip(tmp_path / "package.zip", documents)
    before = leftovers(import_root)
    with pytest.raises(ImportFailed) as info:
        import_background(archive, import_root)
    (problem,) = info.value.report.of_kind(UNLINKED_EXCHANGE)
    assert "aluminium" in problem.detail and "2 providing processes" in problem.detail
    assert leftovers(import_root) == before


def test_invalid_json_files_all_reported(tmp_path: Path, import_root: Path) -> None:
    archive = tmp_path / "package.zip"
    write_jsonld_zip(archive)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in (jsonld_process_path("steel"), jsonld_process_path("copper")):
                data = data[:-10]
            target.writestr(info, data)
    before = leftovers(import_root)
    with pytest.raises(ImportFailed) as info:
        import_background(broken, import_root)
    problems = info.value.report.of_kind(MALFORMED)
    assert {p.location for p in problems} == {
        jsonld_process_path("steel"),
        jsonld_process_path("copper"),
    }
    assert leftovers(import_root) == before


def test_unlinked_input_dropped_when_asked(tmp_path: Path, import_root: Path) -> None:
    """allow_unlinked drops the ambiguous aluminium input and lists it as a warning; the
    cathode then scores 2.356956 − 0.05 × 10.472 = 1.833356 kg CO2e."""
    from lca.imports.pipeline import ImportOptions

    documents = jsonld_documents()
    twin = json.loads(json.dumps(documents[jsonld_process_path("aluminium")]))
    twin["@id"] = "0a0a0a0a-0000-4000-8000-000000000002"
    documents[f"processes/{twin['@id']}.json"] = twin
    archive = write_jsonld_zip(tmp_path / "package.zip", documents)
    result = import_background(archive, import_root, options=ImportOptions(allow_unlinked=True))
    assert any("2 providing processes" in p.detail for p in result.report.warnings)
    imported = _imported(result)
    cathode = next(
        p for p in imported.products.values() if p.reference_product == "cathode material"
    )
    assert imported.unit_score(cathode.code) == pytest.approx(1.833356, rel=1e-7)
