"""Import a third-party background into a Brightway directory of its own, or nothing at all.

Each import is staged in ``<root>/.staging-…/``: the source is unpacked there, a fresh Brightway
project is created there (biosphere3, the imported database, IPCC AR6 linked to its flows), the
engine is built and cached, and only then is the Brightway directory renamed to
``<root>/<version>/`` — one rename, so a reader sees a whole background or none, and a failed
or interrupted import leaves no project behind. ``version`` is the SHA-256 of the source bytes
and of data/method/, so importing the same release twice reuses the first import, and two
backgrounds never share a project or a database.

Brightway's ``projects`` object is process-wide state, so imports in one process run one at a
time, and not while a background reads its project (``lca.background.BRIGHTWAY_LOCK``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from lca.background import BRIGHTWAY_LOCK
from lca.brightway import BIOSPHERE_NAME, GWP20, GWP100, PROJECT_NAME, use_brightway_dir
from lca.build import MANIFEST_NAME, Manifest, build_background
from lca.catalogue import DEFAULT_DATA_DIR, load_catalogue
from lca.data_check import lint
from lca.imports.archive import ArchiveLimits, UnsafeArchive, extract_7z, extract_zip
from lca.imports.coverage import method_coverage, register_methods
from lca.imports.descriptor import DESCRIPTOR_FILE, BackgroundDescriptor
from lca.imports.methods import BY_UUID, FlowMatch, MethodLink, link_method, method_flows
from lca.imports.report import (
    DROPPED_EXCHANGE,
    EMPTY,
    MALFORMED,
    NOTE,
    UNLINKED_EXCHANGE,
    ImportFailed,
    ImportReport,
    Problem,
    Progress,
    no_progress,
)
from lca.imports.staging import ReadResult, check_units

ECOSPOLD2 = "ecospold2"
JSON_LD = "openlca-jsonld"
SIMAPRO_CSV = "simapro-csv"
CELLCARBON_DATA = "cellcarbon-data"
SOURCE_FORMATS = (ECOSPOLD2, JSON_LD, SIMAPRO_CSV, CELLCARBON_DATA)
DATABASE = "imported-background"
# Bumped when the import itself changes what it writes, so old imports are not reused.
IMPORTER_VERSION = "1"

# A staging directory untouched this long belongs to an import that was killed: an ecoinvent
# import takes minutes (benchmarks/bench_import.py), a day is far beyond any live one.
STALE_STAGING_S = 24 * 3600.0


@dataclass(frozen=True)
class ImportOptions:
    """How strict an import is."""

    # Accept a release whose dangling inputs bw2io drops (ecoinvent's "known data issues"); they
    # are still listed in the report, as warnings.
    allow_unlinked: bool = False
    archive_limits: ArchiveLimits = ArchiveLimits()
    # Run every check and stop before writing anything (see check_source).
    check_only: bool = False


@dataclass(frozen=True)
class ImportResult:
    descriptor: BackgroundDescriptor
    report: ImportReport
    reused: bool  # the same source had been imported before


def detect_format(source: Path) -> str | None:
    """The source format of a file or folder, from its content; None when unrecognised."""
    if source.is_dir():
        if (source / "background" / "activities").is_dir():
            return CELLCARBON_DATA
        if (source / "processes").is_dir() and (source / "flows").is_dir():
            return JSON_LD
        for _, _, files in os.walk(source):
            if any(f.lower().endswith(".spold") for f in files):
                return ECOSPOLD2
        return None
    if _is_7z(source):
        return ECOSPOLD2  # ecoinvent's releases are 7z; the reader says if it is not one
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            names = archive.namelist()
        if any(n.lower().endswith(".spold") for n in names):
            return ECOSPOLD2
        if any(n.startswith("processes/") and n.endswith(".json") for n in names):
            return JSON_LD
        if any("background/activities/" in n for n in names):
            return CELLCARBON_DATA
        return None
    with source.open("rb") as handle:
        head = handle.read(64)
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"{SimaPro"):
        return SIMAPRO_CSV
    return None


def _is_7z(source: Path) -> bool:
    with source.open("rb") as handle:
        return handle.read(6) == b"7z\xbc\xaf\x27\x1c"


def source_hash(source: Path, method_dir: Path) -> str:
    """SHA-256 over the source's files (relative path and bytes) and the method files."""
    digest = hashlib.sha256(f"cellcarbon-import {IMPORTER_VERSION}\0".encode())
    files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
    for path in files:
        relative = path.relative_to(source).as_posix() if source.is_dir() else path.name
        digest.update(relative.encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    for path in sorted(method_dir.glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def import_background(
    source: Path,
    root: Path,
    *,
    source_format: str | None = None,
    name: str | None = None,
    data_dir: Path = DEFAULT_DATA_DIR,
    options: ImportOptions = ImportOptions(),
    progress: Progress = no_progress,
) -> ImportResult:
    """Import ``source`` into ``root/<version>/``; raise :class:`ImportFailed` (nothing
    registered) when the report holds a blocking problem."""
    source = Path(source)
    root = Path(root)
    name = name or source.stem
    fmt = source_format or detect_format(source)
    if fmt not in SOURCE_FORMATS:
        raise ImportFailed(
            ImportReport(
                str(fmt or "unknown"),
                (
                    Problem(
                        MALFORMED,
                        source.name,
                        "not an ecospold2 release, openLCA JSON-LD zip, "
                        "SimaPro CSV export or CellCarbon data folder",
                    ),
                ),
            )
        )
    version = source_hash(source, data_dir / "method")
    final = root / version
    if (final / DESCRIPTOR_FILE).exists() and (final / MANIFEST_NAME).exists():
        progress(1.0, "already imported")
        descriptor = BackgroundDescriptor.read(final)
        report = ImportReport(fmt, tuple(Problem(NOTE, "", w) for w in descriptor.warnings))
        return ImportResult(descriptor, report, reused=True)
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(root)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        with BRIGHTWAY_LOCK:
            descriptor, report = _import_staged(
                source, staging, final, fmt, name, version, data_dir, options, progress
            )
            brightway_dir = staging / "brightway"
            try:
                brightway_dir.rename(final)
            except OSError:
                if not (final / DESCRIPTOR_FILE).exists():  # not a concurrent twin: a real error
                    raise
            # Point bw2data at the background's final place, away from the staging directory.
            use_brightway_dir(final, PROJECT_NAME)
        progress(1.0, "done")
        descriptor = BackgroundDescriptor.read(final)
        return ImportResult(descriptor, report, reused=False)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class _Checked(Exception):
    """Carries the report of a check-only import out of the staging directory."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report


def check_source(
    source: Path,
    root: Path,
    *,
    source_format: str | None = None,
    data_dir: Path = DEFAULT_DATA_DIR,
    options: ImportOptions = ImportOptions(),
    progress: Progress = no_progress,
) -> ImportReport:
    """What importing ``source`` would report — blocking problems, unlinked exchanges,
    uncharacterised greenhouse gases — with nothing registered: a user sees it before deciding.
    Staged like an import (``root`` holds the biosphere3 template) and cleaned up after."""
    try:
        result = import_background(
            source,
            root,
            source_format=source_format,
            data_dir=data_dir,
            options=replace(options, check_only=True),
            progress=progress,
        )
    except _Checked as checked:
        return checked.report
    except ImportFailed as failed:
        return failed.report
    return result.report  # imported before: its report


def remove_stale_staging(root: Path, max_age_s: float = STALE_STAGING_S) -> list[Path]:
    """Delete staging directories a killed import left behind (older than ``max_age_s``, so an
    import running in another process is never touched); return what was removed."""
    removed = []
    now = time.time()
    for path in root.glob(".staging-*"):
        try:
            if now - path.stat().st_mtime > max_age_s:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        except FileNotFoundError:  # removed by its own import meanwhile
            continue
    return removed


def _import_staged(
    source: Path,
    staging: Path,
    final: Path,
    fmt: str,
    name: str,
    version: str,
    data_dir: Path,
    options: ImportOptions,
    progress: Progress,
) -> tuple[BackgroundDescriptor, ImportReport]:
    progress(0.0, "unpacking")
    source_dir = _unpack(source, staging / "source", fmt, options.archive_limits)
    brightway_dir = staging / "brightway"
    if fmt == CELLCARBON_DATA and options.check_only:
        catalogue = load_catalogue(_data_folder(source_dir))
        raise _Checked(
            ImportReport(fmt, tuple(Problem(MALFORMED, "data/", p) for p in lint(catalogue)))
        )
    if fmt == CELLCARBON_DATA:
        return _import_cellcarbon_data(source_dir, brightway_dir, final, name, version, progress)
    progress(0.05, "preparing a project with biosphere3")
    bw2data = _fresh_project(staging.parent, brightway_dir)
    read = _read(fmt, source_dir, _scaled(progress, 0.15, 0.6))
    problems = list(read.problems)
    if read.biosphere_flows is not None:
        biosphere_flows = read.biosphere_flows
        biosphere_name = read.biosphere_name or f"{DATABASE} biosphere"
    else:
        biosphere_flows = [
            {"database": BIOSPHERE_NAME, **flow.as_dict()}
            for flow in bw2data.Database(BIOSPHERE_NAME)
        ]
        biosphere_name = BIOSPHERE_NAME
    if not read.datasets and not problems:
        problems.append(Problem(EMPTY, source.name, "the source holds no activities"))
    biosphere_units = {(f["database"], f["code"]): f.get("unit") for f in biosphere_flows}
    problems.extend(check_units(read.datasets, biosphere_units))
    if options.allow_unlinked:
        # What bw2io's ecospold2 strategies do for ecoinvent's known data issues, for all formats.
        for ds in read.datasets:
            ds["exchanges"] = [e for e in ds.get("exchanges", []) if e.get("input")]
        problems = [
            Problem(DROPPED_EXCHANGE, p.location, f"dropped: {p.detail}")
            if p.kind == UNLINKED_EXCHANGE
            else p
            for p in problems
        ]
    report = ImportReport(fmt, tuple(problems))
    if not report.ok:
        raise ImportFailed(report)

    catalogue = load_catalogue(data_dir)
    biosphere3 = {flow["code"]: flow.as_dict() for flow in bw2data.Database(BIOSPHERE_NAME)}
    ours = method_flows(catalogue, biosphere3)
    shipped = frozenset(key for factors in read.shipped_methods.values() for key, _ in factors)
    used = frozenset(
        tuple(exc["input"])
        for ds in read.datasets
        for exc in ds.get("exchanges", [])
        if exc.get("type") == "biosphere" and exc.get("input")
    )
    link = link_method(ours, biosphere_flows, used, shipped)
    report = report.with_problems(link.problems)
    if options.check_only:
        raise _Checked(report)

    progress(0.6, "writing the database")
    from bw2io.importers.base_lci import LCIImporter

    if read.biosphere_flows is not None:
        bw2data.Database(biosphere_name).write(
            {(biosphere_name, f["code"]): _biosphere_node(f) for f in biosphere_flows}
        )
    writer = LCIImporter(DATABASE)
    writer.data = read.datasets
    writer.write_database(searchable=False)
    register_methods(bw2data, ours, link, read.shipped_methods)
    exchanges = sum(len(ds.get("exchanges", [])) for ds in read.datasets)
    manifest = Manifest(
        name=name,
        content_hash=version,
        activities=len(read.datasets),
        exchanges=exchanges,
        methods=[list(GWP100), list(GWP20)],
        grid_regions={},
        flows={m.flow[1]: [m.key, _group(ours, m.key)] for m in link.matches},
        built_at=time.time(),
        database=DATABASE,
        biosphere=biosphere_name,
        source_format=fmt,
    )
    (brightway_dir / MANIFEST_NAME).write_text(json.dumps(asdict(manifest), indent=2))

    progress(0.75, "factorising and caching unit scores")
    coverage = method_coverage(brightway_dir, link, list(read.shipped_methods))
    descriptor = BackgroundDescriptor(
        name=name,
        version=version,
        source_format=fmt,
        activities=len(read.datasets),
        exchanges=exchanges,
        biosphere_flows=len(biosphere_flows),
        coverage=coverage,
        brightway_dir=str(final),
        warnings=[f"{p.kind} at {p.location}: {p.detail}" for p in report.warnings],
    )
    descriptor.save(brightway_dir)
    return descriptor, report


def _fresh_project(root: Path, brightway_dir: Path) -> Any:
    """A new Brightway directory holding biosphere3, copied from a template made once per
    bw2io version (bw2io takes ~15 s to build biosphere3; copying its 4 MB takes a blink)."""
    from importlib.metadata import version

    template = root / f".template-biosphere3-bw2io-{version('bw2io')}"
    if not (template / ".complete").exists():
        building = Path(tempfile.mkdtemp(prefix=".template-", dir=root))
        try:
            use_brightway_dir(building / "brightway", PROJECT_NAME)
            import bw2io

            bw2io.create_default_biosphere3()
            (building / "brightway" / ".complete").touch()
            try:
                (building / "brightway").rename(template)
            except OSError:  # another import made it first
                pass
        finally:
            shutil.rmtree(building, ignore_errors=True)
    shutil.copytree(template, brightway_dir)
    return use_brightway_dir(brightway_dir, PROJECT_NAME)


def _read(fmt: str, source_dir: Path, progress: Progress) -> ReadResult:
    if fmt == ECOSPOLD2:
        from lca.imports.ecospold2 import read_ecospold2

        return read_ecospold2(source_dir, DATABASE, BIOSPHERE_NAME, progress)
    if fmt == JSON_LD:
        from lca.imports.jsonld import read_jsonld

        return read_jsonld(source_dir, DATABASE, progress)
    from lca.imports.simapro import read_simapro

    return read_simapro(source_dir, DATABASE, progress)


def _unpack(source: Path, target: Path, fmt: str, limits: ArchiveLimits) -> Path:
    if source.is_dir():
        return source
    if fmt == SIMAPRO_CSV and not zipfile.is_zipfile(source):
        return source
    try:
        if _is_7z(source):
            return extract_7z(source, target, limits)
        return extract_zip(source, target, limits)
    except UnsafeArchive as exc:
        raise ImportFailed(ImportReport(fmt, tuple(exc.problems))) from None


def _data_folder(folder: Path) -> Path:
    """The data/ folder itself, or the one inside ``folder`` (a zip of a checkout's data/)."""
    return folder / "data" if (folder / "data" / "background").is_dir() else folder


def _import_cellcarbon_data(
    data_dir: Path, brightway_dir: Path, final: Path, name: str, version: str, progress: Progress
) -> tuple[BackgroundDescriptor, ImportReport]:
    """A folder in the project's own data/ format: the build itself, staged like any import."""
    from lca.build import InvalidBackgroundData

    data_dir = _data_folder(data_dir)
    steps = iter(np.linspace(0.05, 0.7, 6))
    try:
        manifest = build_background(
            brightway_dir,
            data_dir,
            force=True,
            progress=lambda text: progress(next(steps, 0.7), text),
        )
    except InvalidBackgroundData as exc:
        raise ImportFailed(
            ImportReport(
                CELLCARBON_DATA, tuple(Problem(MALFORMED, "data/", p) for p in exc.problems)
            )
        ) from None
    progress(0.75, "factorising and caching unit scores")
    link = MethodLink(
        matches=tuple(
            FlowMatch((BIOSPHERE_NAME, code), key, key, BY_UUID)
            for code, (key, _) in manifest.flows.items()
        ),
        unmatched_method_flows=(),
    )
    coverage = method_coverage(brightway_dir, link, [])
    descriptor = BackgroundDescriptor(
        name=name,
        version=version,
        source_format=CELLCARBON_DATA,
        activities=manifest.activities,
        exchanges=manifest.exchanges,
        biosphere_flows=len(manifest.flows),
        coverage=coverage,
        brightway_dir=str(final),
    )
    descriptor.save(brightway_dir)
    return descriptor, ImportReport(CELLCARBON_DATA)


def _group(ours: Any, key: str) -> str:
    return next(f.gas_group for f in ours if f.key == key)


def _biosphere_node(flow: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in flow.items() if k not in ("database", "exchanges") and v is not None}


def _scaled(progress: Progress, start: float, end: float) -> Progress:
    def scaled(fraction: float, stage: str) -> None:
        progress(start + (end - start) * min(max(fraction, 0.0), 1.0), stage)

    return scaled
