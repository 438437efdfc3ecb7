"""Broken sources are answered with a report naming every problem, and register nothing."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from lca.imports.pipeline import ImportOptions, import_background
from lca.imports.report import (
    DROPPED_EXCHANGE,
    MALFORMED,
    UNIT_MISMATCH,
    UNKNOWN_UNIT,
    UNLINKED_EXCHANGE,
    UNSAFE_ARCHIVE,
    ImportFailed,
)
from tests.lca.imports.helpers import leftovers
from tests.lca.imports.system import ACTIVITIES, activity_uuid, write_ecospold2, zip_folder


def _spold(release: Path, code: str) -> Path:
    return next((release / "datasets").glob(f"{activity_uuid(code)}_*.spold"))


def _fails(source: Path, root: Path, **kwargs) -> ImportFailed:  # type: ignore[no-untyped-def]
    before = leftovers(root)
    with pytest.raises(ImportFailed) as info:
        import_background(source, root, **kwargs)
    assert leftovers(root) == before, "a failed import left something behind"
    assert "nothing was registered" in str(info.value)
    return info.value


@pytest.fixture
def release(tmp_path: Path) -> Path:
    return write_ecospold2(tmp_path / "release")


def test_malformed_xml_reports_every_broken_file(release: Path, import_root: Path) -> None:
    for code in ("steel", "copper"):
        path = _spold(release, code)
        path.write_text(path.read_text()[:-40])  # cut off the closing tags
    failed = _fails(release, import_root)
    broken = failed.report.of_kind(MALFORMED)
    assert len(broken) == 2
    assert {p.location for p in broken} == {_spold(release, c).name for c in ("steel", "copper")}
    assert all("not well-formed XML" in p.detail for p in broken)


def test_dangling_exchange_is_reported_not_dropped(release: Path, import_root: Path) -> None:
    path = _spold(release, "cathode")
    missing = "00000000-0000-0000-0000-000000000001"
    path.write_text(path.read_text().replace(activity_uuid("aluminium"), missing, 1))
    failed = _fails(release, import_root)
    (problem,) = failed.report.of_kind(UNLINKED_EXCHANGE)
    assert problem.location == path.name
    assert missing in problem.detail and "aluminium" in problem.detail


def test_dangling_exchange_accepted_when_asked_and_listed(release: Path, tmp_path: Path) -> None:
    """allow_unlinked drops the input as bw2io would, and says so in the report."""
    path = _spold(release, "cathode")
    path.write_text(
        path.read_text().replace(activity_uuid("aluminium"), "00000000-0000-0000-0000-00000000000a")
    )
    result = import_background(
        release, tmp_path / "root", options=ImportOptions(allow_unlinked=True)
    )
    assert result.report.ok
    (dropped,) = result.report.of_kind(DROPPED_EXCHANGE)
    assert "00000000-0000-0000-0000-00000000000a" in dropped.detail
    # 19 inputs less the dropped one
    assert result.descriptor.exchanges == 12 + 18 + 15 + 1


def test_unknown_elementary_flow_is_reported(release: Path, import_root: Path) -> None:
    path = _spold(release, "graphite")
    unknown = "11111111-2222-3333-4444-555555555555"
    path.write_text(path.read_text().replace("8c283de2-50d3-40c8-8bff-1e172c3398f8", unknown))
    failed = _fails(release, import_root)
    (problem,) = failed.report.of_kind(UNLINKED_EXCHANGE)
    assert unknown in problem.detail and "biosphere" in problem.detail


def test_unknown_unit_and_unit_mismatch_reported_together(release: Path, import_root: Path) -> None:
    """Steel's output in 'furlong' (unknown) and copper's electricity input in kg (its
    provider produces kWh): both problems in one report."""
    steel = _spold(release, "steel")
    text = steel.read_text()
    steel.write_text(
        text.replace(
            '<unitName xml:lang="en">kg</unitName>', '<unitName xml:lang="en">furlong</unitName>', 1
        )
    )
    copper = _spold(release, "copper")
    copper.write_text(
        copper.read_text().replace(
            '<unitName xml:lang="en">kWh</unitName>', '<unitName xml:lang="en">kg</unitName>'
        )
    )
    failed = _fails(release, import_root)
    assert any("furlong" in p.detail for p in failed.report.of_kind(UNKNOWN_UNIT))
    (mismatch,) = failed.report.of_kind(UNIT_MISMATCH)
    assert "kilogram" in mismatch.detail and "kilowatt hour" in mismatch.detail


def test_zip_bomb_refused_before_unpacking(tmp_path: Path, import_root: Path) -> None:
    """10 MiB of zeros deflate to ~10 kB: a ratio of ~1,000:1, above the 200:1 limit."""
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("datasets/a.spold", b"\0" * (10 << 20))
    failed = _fails(archive, import_root, source_format="ecospold2")
    (problem,) = failed.report.of_kind(UNSAFE_ARCHIVE)
    assert "zip bomb" in problem.detail


def test_total_size_budget(release: Path, tmp_path: Path, import_root: Path) -> None:
    from lca.imports.archive import ArchiveLimits

    archive = zip_folder(release, tmp_path / "release.zip")
    options = ImportOptions(archive_limits=ArchiveLimits(max_total_bytes=10_000))
    failed = _fails(archive, import_root, options=options)
    assert "budget" in failed.report.errors[0].detail


@pytest.mark.parametrize(
    "name", ["../evil.spold", "/tmp/evil.spold", "datasets/../../evil.spold", "C:\\evil.spold"]
)
def test_path_traversal_refused(
    name: str, release: Path, tmp_path: Path, import_root: Path
) -> None:
    archive = zip_folder(release, tmp_path / "release.zip")
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr(zipfile.ZipInfo(name), b"<ecoSpold/>")
    failed = _fails(archive, import_root)
    (problem,) = failed.report.of_kind(UNSAFE_ARCHIVE)
    assert name in problem.location and "leaves" in problem.detail
    assert not (tmp_path / "evil.spold").exists() and not Path("/tmp/evil.spold").exists()


def test_symlink_member_refused(release: Path, tmp_path: Path, import_root: Path) -> None:
    archive = zip_folder(release, tmp_path / "release.zip")
    link = zipfile.ZipInfo("datasets/link.spold")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr(link, "/etc/passwd")
    failed = _fails(archive, import_root)
    assert "link" in failed.report.of_kind(UNSAFE_ARCHIVE)[0].detail


def test_not_an_archive_nor_a_known_format(tmp_path: Path, import_root: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    failed = _fails(junk, import_root)
    assert failed.report.errors[0].kind == MALFORMED


def test_corrupt_zip_named_as_ecospold2(tmp_path: Path, import_root: Path) -> None:
    junk = tmp_path / "release.zip"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    failed = _fails(junk, import_root, source_format="ecospold2")
    assert failed.report.errors[0].kind in (MALFORMED, UNSAFE_ARCHIVE)


def test_every_activity_written(release: Path) -> None:
    """Guard for the fixtures above: the release holds one file per activity."""
    assert len(list((release / "datasets").glob("*.spold"))) == len(ACTIVITIES)


def test_staging_left_by_a_killed_import_is_removed(tmp_path: Path) -> None:
    """A day-old staging directory is deleted; a fresh one (an import running elsewhere) is kept."""
    import os
    import time

    from lca.imports.pipeline import remove_stale_staging

    old, fresh = tmp_path / ".staging-old", tmp_path / ".staging-fresh"
    for path in (old, fresh):
        (path / "brightway").mkdir(parents=True)
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    assert remove_stale_staging(tmp_path) == [old]
    assert not old.exists() and fresh.exists()


def test_doctype_and_entities_refused(release: Path, import_root: Path) -> None:
    """An external entity naming a local file must never be read into the background."""
    path = _spold(release, "steel")
    text = path.read_text()
    declaration = '<!DOCTYPE ecoSpold [<!ENTITY leak SYSTEM "file:///etc/hostname">]>\n'
    text = text.replace("?>\n", "?>\n" + declaration, 1).replace("Test system.", "&leak;")
    path.write_text(text)
    failed = _fails(release, import_root)
    (problem,) = failed.report.of_kind(MALFORMED)
    assert problem.location == path.name and "DOCTYPE" in problem.detail


def test_check_source_reports_without_registering(release: Path, import_root: Path) -> None:
    """The report an import would give — here the uncharacterised Halon 1001 — and nothing
    registered; a broken release gets its blocking problems the same way, without raising."""
    from lca.imports.pipeline import check_source
    from lca.imports.report import UNCHARACTERISED_GHG

    before = leftovers(import_root)
    report = check_source(release, import_root)
    assert report.ok
    assert [p.kind for p in report.warnings] == [UNCHARACTERISED_GHG]
    assert leftovers(import_root) == before
    path = _spold(release, "copper")
    path.write_text(path.read_text()[:-40])
    broken = check_source(release, import_root)
    assert not broken.ok and broken.errors[0].kind == MALFORMED


def test_doctype_after_a_long_padded_prolog_is_refused(release: Path, import_root: Path) -> None:
    """200 kB of comment before the DOCTYPE: still found (the prolog is read to the root)."""
    path = _spold(release, "copper")
    padding = "<!--" + "x" * 200_000 + "-->\n"
    declaration = '<!DOCTYPE ecoSpold [<!ENTITY e "boom">]>\n'
    path.write_text(path.read_text().replace("?>\n", "?>\n" + padding + declaration, 1))
    failed = _fails(release, import_root)
    assert failed.report.of_kind(MALFORMED)[0].location == path.name
