"""Member names of an untrusted archive never lead outside the target directory."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from lca.imports.archive import ArchiveLimits, UnsafeArchive, extract_zip, safe_member_path

_SEGMENTS = st.sampled_from(["..", ".", "", "a", "b.spold", "C:", "~", "\\..", "x\\y", "\0", " "])


@given(st.lists(_SEGMENTS, min_size=1, max_size=6), st.booleans())
def test_accepted_member_paths_stay_inside(segments: list[str], absolute: bool) -> None:
    name = ("/" if absolute else "") + "/".join(segments)
    relative = safe_member_path(name)
    if relative is None:
        return
    target = Path("/srv/import/target")
    resolved = Path(os.path.normpath(target.joinpath(*relative.parts)))
    assert resolved == target or target in resolved.parents


def test_limits_checked_before_anything_is_written(tmp_path: Path) -> None:
    """Too many members: refused from the listing alone, the target is not even created."""
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for index in range(5):
            handle.writestr(f"datasets/{index}.spold", b"<x/>")
    target = tmp_path / "out"
    try:
        extract_zip(archive, target, ArchiveLimits(max_members=4))
    except UnsafeArchive as exc:
        assert "5 members" in exc.problems[0].detail
    else:
        raise AssertionError("an archive over the member limit was unpacked")
    assert not target.exists()


def test_a_sound_archive_unpacks_byte_for_byte(tmp_path: Path) -> None:
    archive = tmp_path / "ok.zip"
    payload = os.urandom(3 << 20)  # incompressible: ratio ~1
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("datasets/a.spold", payload)
        handle.writestr("MasterData/", b"")
    extract_zip(archive, tmp_path / "out")
    assert (tmp_path / "out" / "datasets" / "a.spold").read_bytes() == payload
    assert (tmp_path / "out" / "MasterData").is_dir()


def test_member_larger_than_its_header_says_is_refused(tmp_path: Path) -> None:
    """The central directory claims 1,000 bytes for a 2 MiB member: the bytes past the claim
    are never written, and the member is refused (zipfile stops at the claim, the CRC fails)."""
    import struct

    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("datasets/a.spold", os.urandom(2 << 20))
    data = bytearray(archive.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)  # uncompressed size
    archive.write_bytes(bytes(data))
    try:
        extract_zip(archive, tmp_path / "out")
    except UnsafeArchive as exc:
        assert exc.problems[0].location.endswith("datasets/a.spold")
    else:
        raise AssertionError("a member larger than declared was unpacked")
    written = tmp_path / "out" / "datasets" / "a.spold"
    assert not written.exists() or written.stat().st_size <= 1000
