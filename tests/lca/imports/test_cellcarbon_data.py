"""Importing a folder in the project's own data/ format: the build itself, staged."""

from __future__ import annotations

from pathlib import Path

import pytest

from lca.background import load_background
from lca.imports.pipeline import import_background
from lca.imports.report import ImportFailed
from tests.lca.imports.helpers import leftovers
from tests.lca.imports.system import UNIT_SCORES, write_cellcarbon_data


def test_data_folder_imports_like_the_direct_build(
    tmp_path: Path, import_root: Path, direct_background
) -> None:  # type: ignore[no-untyped-def]
    data = write_cellcarbon_data(tmp_path / "data")
    result = import_background(data, import_root, name="own data")
    descriptor = result.descriptor
    assert descriptor.source_format == "cellcarbon-data"
    assert descriptor.activities == 12 and descriptor.exchanges == 19 + 15
    imported = load_background(Path(descriptor.brightway_dir))
    for code, expected in UNIT_SCORES.items():
        assert imported.unit_score(code) == pytest.approx(expected, rel=1e-7)
        assert imported.unit_score(code) == pytest.approx(
            direct_background.unit_score(code), rel=1e-12
        )
    assert descriptor.coverage.missing == []
    assert sum(descriptor.coverage.share_by_flow.values()) == pytest.approx(1.0, rel=1e-9)


def test_data_folder_failing_the_linter_registers_nothing(
    tmp_path: Path, import_root: Path
) -> None:
    data = write_cellcarbon_data(tmp_path / "data")
    exchanges = data / "background" / "exchanges" / "system.csv"
    exchanges.write_text(
        exchanges.read_text().replace(
            "steel,technosphere,electricity_mix", "steel,technosphere,electricity_nowhere"
        )
    )
    before = leftovers(import_root)
    with pytest.raises(ImportFailed) as info:
        import_background(data, import_root)
    assert any("electricity_nowhere" in p.detail for p in info.value.report.errors)
    assert leftovers(import_root) == before


def test_check_of_a_data_folder_is_the_linter(tmp_path: Path, import_root: Path) -> None:
    from lca.imports.pipeline import check_source

    data = write_cellcarbon_data(tmp_path / "data")
    assert check_source(data, import_root).ok
    exchanges = data / "background" / "exchanges" / "system.csv"
    exchanges.write_text(
        exchanges.read_text().replace(",electricity_mix,2.0,kWh", ",electricity_mix,2.0,furlong")
    )
    report = check_source(data, import_root)
    assert not report.ok and any("[length]" in p.detail for p in report.errors)
