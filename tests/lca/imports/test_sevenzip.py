"""ecoinvent ships its releases as 7z: the same release as a 7z imports like the zip."""

from __future__ import annotations

from pathlib import Path

import py7zr  # the optional "import" extra, part of "dev": a missing one fails, never skips
import pytest

from lca.imports.pipeline import import_background
from lca.imports.report import MALFORMED, UNSAFE_ARCHIVE, ImportFailed
from tests.lca.imports.helpers import leftovers
from tests.lca.imports.system import UNIT_SCORES, write_ecospold2


def _seven_zip(folder: Path, archive: Path) -> Path:
    with py7zr.SevenZipFile(archive, "w") as handle:
        for path in sorted(folder.rglob("*.spold")):
            handle.write(path, path.relative_to(folder).as_posix())
    return archive


def test_7z_release_gives_the_zip_release_unit_scores(
    tmp_path: Path, import_root: Path, ecospold2_import
) -> None:  # type: ignore[no-untyped-def]
    """Same datasets, other container: the same coverage and test footprint (the sum of the
    twelve unit scores), in a background of its own (the version hashes the source bytes)."""
    archive = _seven_zip(write_ecospold2(tmp_path / "release"), tmp_path / "release.7z")
    result = import_background(archive, import_root)
    zipped, _ = ecospold2_import
    assert result.descriptor.source_format == "ecospold2"
    assert result.descriptor.version != zipped.descriptor.version
    assert result.descriptor.coverage.test_footprint_kg_co2e == pytest.approx(
        sum(UNIT_SCORES.values()), rel=1e-7
    )
    assert result.descriptor.coverage.found == zipped.descriptor.coverage.found


def test_7z_bomb_refused_before_unpacking(tmp_path: Path, import_root: Path) -> None:
    """64 MiB of zeros pack to a few kB in LZMA2: far above the 200:1 limit."""
    archive = tmp_path / "bomb.7z"
    with py7zr.SevenZipFile(archive, "w") as handle:
        handle.writestr(b"\0" * (64 << 20), "datasets/a.spold")
    before = leftovers(import_root)
    with pytest.raises(ImportFailed) as info:
        import_background(archive, import_root)
    (problem,) = info.value.report.of_kind(UNSAFE_ARCHIVE)
    assert "bomb" in problem.detail
    assert leftovers(import_root) == before


def test_truncated_7z_is_reported(tmp_path: Path, import_root: Path) -> None:
    archive = _seven_zip(write_ecospold2(tmp_path / "release"), tmp_path / "release.7z")
    archive.write_bytes(archive.read_bytes()[:200])
    with pytest.raises(ImportFailed) as info:
        import_background(archive, import_root)
    assert info.value.report.errors[0].kind == MALFORMED
