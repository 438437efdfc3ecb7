"""Unpack an uploaded archive without trusting it.

A member is refused when its name would land outside the target (absolute paths, ``..``, drive
letters, backslashes), when it is a link or a device, or when the archive unpacks to more than a
budget: members, total bytes, or a compression ratio no real LCA export reaches (ecospold2 XML
packs about 10–20× with deflate; a zip bomb packs a million-fold). Sizes are counted while
reading, not taken from the archive's own headers, which a bomb may lie about.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lca.imports.report import MALFORMED, UNSAFE_ARCHIVE, Problem

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    """How much an archive may unpack to."""

    max_members: int = 200_000  # ecoinvent 3.10 cut-off: ~23,000 .spold files plus MasterData
    max_total_bytes: int = 16 << 30  # the whole ecoinvent 3.10 cut-off release unpacks to ~4 GiB
    max_ratio: float = 200.0  # per member, uncompressed / compressed, for members over 1 MiB


class UnsafeArchive(ValueError):
    """The archive cannot be unpacked safely; ``problems`` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.location}: {p.detail}" for p in problems[:5]))


def safe_member_path(name: str) -> PurePosixPath | None:
    """The member's relative path, or None when it would leave the target directory."""
    if not name or "\\" in name or "\0" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        return None
    return path


def extract_zip(archive: Path, target: Path, limits: ArchiveLimits = ArchiveLimits()) -> Path:
    """Unpack ``archive`` into ``target`` (created); raise :class:`UnsafeArchive` on any problem.

    Every member is checked before anything is written, so a refused archive leaves ``target``
    without any of its content (a bomb is caught while writing, and what was written is removed
    by the caller's staging directory).
    """
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchive(
            [Problem(MALFORMED, archive.name, f"not a readable zip file: {exc}")]
        ) from None
    with handle:
        members = handle.infolist()
        problems = _check_members(archive.name, members, limits)
        if problems:
            raise UnsafeArchive(problems)
        target.mkdir(parents=True, exist_ok=True)
        written = 0
        for info in members:
            relative = safe_member_path(info.filename)
            assert relative is not None  # checked above
            destination = target.joinpath(*relative.parts)
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            member_bytes = 0
            try:
                with handle.open(info) as source, destination.open("wb") as sink:
                    while chunk := source.read(_CHUNK):
                        sink.write(chunk)
                        member_bytes += len(chunk)
                        written += len(chunk)
                        if member_bytes > info.file_size or written > limits.max_total_bytes:
                            raise UnsafeArchive(
                                [
                                    Problem(
                                        UNSAFE_ARCHIVE,
                                        f"{archive.name}:{info.filename}",
                                        "unpacks to more than its header says or than the "
                                        f"{limits.max_total_bytes:,}-byte budget (a zip bomb?)",
                                    )
                                ]
                            )
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise UnsafeArchive(
                    [
                        Problem(
                            MALFORMED, f"{archive.name}:{info.filename}", f"corrupt member: {exc}"
                        )
                    ]
                ) from None
    return target


def extract_7z(archive: Path, target: Path, limits: ArchiveLimits = ArchiveLimits()) -> Path:
    """Unpack a 7z archive (ecoinvent ships its releases as 7z) with the checks of
    :func:`extract_zip`. 7z compresses members together (a solid archive), so the ratio is taken
    over the whole archive; bytes are still counted while writing."""
    try:
        import py7zr
    except ImportError:  # the optional "import" extra
        raise UnsafeArchive(
            [Problem(MALFORMED, archive.name, "7z archives need py7zr (pip install .[import])")]
        ) from None
    try:
        handle = py7zr.SevenZipFile(archive, mode="r")
    except (py7zr.exceptions.ArchiveError, OSError, EOFError, ValueError) as exc:
        raise UnsafeArchive(
            [Problem(MALFORMED, archive.name, f"not a readable 7z file: {exc}")]
        ) from None
    with handle:
        members = handle.list()
        problems: list[Problem] = []
        if len(members) > limits.max_members:
            problems.append(
                Problem(
                    UNSAFE_ARCHIVE,
                    archive.name,
                    f"{len(members):,} members, more than the limit of {limits.max_members:,}",
                )
            )
        declared = 0
        for info in members:
            where = f"{archive.name}:{info.filename}"
            if safe_member_path(info.filename) is None:
                problems.append(
                    Problem(UNSAFE_ARCHIVE, where, "member path leaves the archive's directory")
                )
            elif info.is_symlink:
                problems.append(
                    Problem(UNSAFE_ARCHIVE, where, "member is a link or special file, not a file")
                )
            declared += int(info.uncompressed or 0)
        ratio = declared / max(archive.stat().st_size, 1)
        if declared > limits.max_total_bytes:
            problems.append(
                Problem(
                    UNSAFE_ARCHIVE,
                    archive.name,
                    f"unpacks to {declared:,} bytes, "
                    f"more than the {limits.max_total_bytes:,}-byte budget",
                )
            )
        elif declared > _CHUNK and ratio > limits.max_ratio:
            problems.append(
                Problem(
                    UNSAFE_ARCHIVE,
                    archive.name,
                    f"compression ratio {ratio:,.0f}:1 "
                    f"is above {limits.max_ratio:,.0f}:1 (a zip bomb?)",
                )
            )
        if problems:
            raise UnsafeArchive(problems)
        target.mkdir(parents=True, exist_ok=True)
        factory = _CountingWriterFactory(target, limits.max_total_bytes, archive.name)
        try:
            handle.extractall(factory=factory)  # type: ignore[arg-type]  # duck-typed factory
        except UnsafeArchive:
            raise
        except Exception as exc:  # py7zr raises its own errors (CRC, unsupported, truncated)
            raise UnsafeArchive(
                [Problem(MALFORMED, archive.name, f"corrupt 7z archive: {exc!r}")]
            ) from None
        finally:
            factory.close_all()
        if factory.overflow:
            raise UnsafeArchive([Problem(UNSAFE_ARCHIVE, archive.name, factory.overflow)])
    return target


class _CountingWriterFactory:
    """py7zr writer factory: members go to files under ``target``, bytes are counted."""

    def __init__(self, target: Path, budget: int, archive_name: str) -> None:
        self.target = target
        self.budget = budget
        self.written = 0
        self.overflow = ""
        self.archive_name = archive_name
        self._open: list[_CountingWriter] = []

    def create(self, filename: str) -> _CountingWriter:
        relative = safe_member_path(filename)
        if relative is None:  # checked before extracting; never trust a second listing
            raise UnsafeArchive(
                [Problem(UNSAFE_ARCHIVE, filename, "member path leaves the archive")]
            )
        destination = self.target.joinpath(*relative.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        writer = _CountingWriter(self, destination)
        self._open.append(writer)
        return writer

    def close_all(self) -> None:
        for writer in self._open:
            writer.close()


class _CountingWriter:
    def __init__(self, factory: _CountingWriterFactory, path: Path) -> None:
        self.factory = factory
        self.file = path.open("wb")
        self._size = 0

    def write(self, data: bytes | bytearray) -> int:
        self.factory.written += len(data)
        if self.factory.written > self.factory.budget:
            # Stop writing; the caller sees ``overflow`` and refuses the archive.
            self.factory.overflow = (
                f"unpacks to more than the {self.factory.budget:,}-byte budget (a bomb?)"
            )
            return len(data)
        self._size += len(data)
        return self.file.write(data)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def flush(self) -> None:
        self.file.flush()

    def size(self) -> int:
        return self._size

    def close(self) -> None:
        if not self.file.closed:
            self.file.close()


def _check_members(
    archive_name: str, members: list[zipfile.ZipInfo], limits: ArchiveLimits
) -> list[Problem]:
    problems: list[Problem] = []
    if len(members) > limits.max_members:
        problems.append(
            Problem(
                UNSAFE_ARCHIVE,
                archive_name,
                f"{len(members):,} members, more than the limit of {limits.max_members:,}",
            )
        )
        return problems
    declared = 0
    for info in members:
        where = f"{archive_name}:{info.filename}"
        if safe_member_path(info.filename) is None:
            problems.append(
                Problem(UNSAFE_ARCHIVE, where, "member path leaves the archive's directory")
            )
            continue
        # Unix file type bits, when the archiver set them (zipfile's writestr leaves them 0).
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            problems.append(
                Problem(UNSAFE_ARCHIVE, where, "member is a link or special file, not a file")
            )
        declared += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _CHUNK and ratio > limits.max_ratio:
            problems.append(
                Problem(
                    UNSAFE_ARCHIVE,
                    where,
                    f"compression ratio {ratio:,.0f}:1 is above {limits.max_ratio:,.0f}:1 "
                    "(a zip bomb?)",
                )
            )
    if declared > limits.max_total_bytes:
        problems.append(
            Problem(
                UNSAFE_ARCHIVE,
                archive_name,
                f"unpacks to {declared:,} bytes, more than the "
                f"{limits.max_total_bytes:,}-byte budget",
            )
        )
    return problems
