"""A verification bundle: one zip from which a verifier recomputes a footprint with plain bw2calc.

The bundle holds the background's own Brightway datapackages (the exact float32 arrays the
engine was built from), the method datapackages, the foreground the engine built (as a
``bw_processing`` datapackage per figure), the documents the footprint came from, and
``recompute.py``: a standalone script that needs only ``bw2calc`` and ``bw_processing`` (pinned in
``requirements.txt``), checks every file against the SHA-256 in ``manifest.json``, recomputes each
stored figure and prints it beside the stored one.

A licensed background is left out (``include_background=False``): the manifest then names the
datapackage files and their hashes, and the bundle's README says where to put them.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

from lca.background import Background
from lca.footprint import AGGREGATED_METHODS, ForegroundInput, Processes, foreground_datapackage

BUNDLE_FORMAT = "cellcarbon-verification-bundle/1"
# Relative difference the script accepts between a recomputed and a stored figure: both come
# from the same float32 datapackages, so they agree to ~1e-15; 1e-9 leaves room for another
# BLAS or SuperLU build, not for another number.
TOLERANCE = 1e-9
SCRIPT = "recompute.py"
MANIFEST = "manifest.json"
_SCRIPT_SOURCE = Path(__file__).with_name("bundle_recompute.py")
# The verifier's environment: these two, at the versions that computed the stored figure.
REQUIRED_PACKAGES = ("bw2calc", "bw_processing")


@dataclass(frozen=True)
class BundleCase:
    """One stored figure to recompute: a foreground and its stored scores (kg CO2e per cell)
    per method (``"gwp100"``, ``"gwp20"``)."""

    name: str
    inputs: Sequence[ForegroundInput]
    stored_kg_co2e: Mapping[str, float]
    processes: Processes = field(default_factory=dict)


def write_bundle(
    target: BinaryIO,
    background: Background,
    cases: Sequence[BundleCase],
    *,
    nominal_energy_kwh: float,
    documents: Mapping[str, Any] | None = None,
    versions: Mapping[str, str] | None = None,
    include_background: bool = True,
) -> dict[str, Any]:
    """Write the bundle zip to ``target``; return its manifest.

    ``documents`` maps a path inside the bundle (``"bom/posted.json"``) to bytes, text or a
    JSON-serialisable value. Names of cases must be unique and plain (letters, digits, ``_-``).
    """
    names = [case.name for case in cases]
    if len(set(names)) != len(names) or not all(_plain(n) for n in names):
        raise ValueError(f"case names must be unique and plain: {names}")
    files: dict[str, bytes] = {}
    background_files = _background_files(background)
    for relative, path in background_files.items():
        if include_background:
            files[relative] = path.read_bytes()
    method_files = {method: f"datapackages/methods/{method}.zip" for method in AGGREGATED_METHODS}
    for method, relative in method_files.items():
        files[relative] = _zip_path(background.method_package(method)).read_bytes()
    manifest_cases = []
    with tempfile.TemporaryDirectory(prefix="cellcarbon-bundle-") as scratch:
        for case in cases:
            written = _foreground_files(background, case, Path(scratch))
            files.update({relative: data for relative, (data, _) in written.items()})
            cell_id = next(cell for _, cell in written.values())
            manifest_cases.append(
                {
                    "name": case.name,
                    "cell_id": cell_id,
                    "stored_kg_co2e": dict(case.stored_kg_co2e),
                    "foreground": {
                        method: sorted(
                            relative
                            for relative in written
                            if relative == f"datapackages/foreground/{case.name}.zip"
                            or relative.endswith(f"/{case.name}-{method}.zip")
                        )
                        for method in case.stored_kg_co2e
                    },
                }
            )
    for relative, value in (documents or {}).items():
        files[f"documents/{relative}"] = _as_bytes(value)
    files[SCRIPT] = _SCRIPT_SOURCE.read_bytes()
    pins = {name: metadata.version(name) for name in REQUIRED_PACKAGES}
    files["requirements.txt"] = "".join(f"{n}=={v}\n" for n, v in pins.items()).encode()
    manifest: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "tolerance": TOLERANCE,
        "nominal_energy_kwh": nominal_energy_kwh,
        "background": {
            "name": background.name,
            "version": background.version,
            "included": include_background,
            "datapackages": sorted(background_files),
            "sha256": {
                relative: _sha256(path.read_bytes())
                for relative, path in sorted(background_files.items())
            },
        },
        "methods": method_files,
        "method": background.method,
        "cases": manifest_cases,
        "versions": {**pins, **(versions or {})},
        "files": {relative: _sha256(data) for relative, data in sorted(files.items())},
    }
    files["README.md"] = _readme(manifest).encode()
    manifest["files"]["README.md"] = _sha256(files["README.md"])
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative, data in sorted(files.items()):
            archive.writestr(_entry(relative), data)
        archive.writestr(_entry(MANIFEST), json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def bundle_bytes(background: Background, cases: Sequence[BundleCase], **options: Any) -> bytes:
    """:func:`write_bundle` into memory."""
    buffer = io.BytesIO()
    write_bundle(buffer, background, cases, **options)
    return buffer.getvalue()


def _background_files(background: Background) -> dict[str, Path]:
    return {
        f"datapackages/background/{_zip_path(package).name}": _zip_path(package)
        for package in background.data_objs
    }


def _zip_path(package: Any) -> Path:
    """The zip file a Brightway-processed datapackage was loaded from."""
    archive = getattr(getattr(package, "fs", None), "zip", None)
    if archive is None or not archive.filename:
        raise ValueError("datapackage was not loaded from a zip file")
    return Path(archive.filename)


def _foreground_files(
    background: Background, case: BundleCase, scratch: Path
) -> dict[str, tuple[bytes, int]]:
    from fsspec.implementations.zip import ZipFileSystem

    paths = {"": scratch / f"{case.name}.zip"}
    paths.update({m: scratch / f"{case.name}-{m}.zip" for m in AGGREGATED_METHODS})
    package = foreground_datapackage(
        background,
        list(case.inputs),
        case.processes,
        fs=ZipFileSystem(str(paths[""]), mode="w"),
        fs_factory=lambda method: ZipFileSystem(str(paths[method]), mode="w"),
    )
    written = {}
    for key, path in paths.items():
        if path.exists():
            name = f"{case.name}.zip" if not key else f"{case.name}-{key}.zip"
            written[f"datapackages/foreground/{name}"] = (path.read_bytes(), package.cell_id)
    return written


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return (json.dumps(value, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plain(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c in "_-" for c in name)


def _entry(relative: str) -> zipfile.ZipInfo:
    # A fixed timestamp: the same content gives the same bytes.
    info = zipfile.ZipInfo(relative, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _readme(manifest: Mapping[str, Any]) -> str:
    pins = " ".join(f"{name}=={manifest['versions'][name]}" for name in REQUIRED_PACKAGES)
    lines = [
        "# Verification bundle",
        "",
        f"Background: {manifest['background']['name']} version "
        f"{manifest['background']['version']}; method {manifest['method']}.",
        "",
        "Recompute every stored figure with plain bw2calc, in a fresh virtual environment:",
        "",
        "```sh",
        "python3 -m venv .venv",
        f".venv/bin/pip install {pins}",
        f".venv/bin/python {SCRIPT}",
        "```",
        "",
        f"The script checks each file against `{MANIFEST}` (SHA-256), prints each recomputed",
        "figure beside the stored one and exits non-zero if any differs by more than a relative",
        f"{manifest['tolerance']:g}.",
        "",
        "Contents: `documents/` (what the footprint was computed from), `datapackages/` (the",
        "background, methods and foreground as bw_processing datapackages), `requirements.txt`.",
    ]
    if not manifest["background"]["included"]:
        lines += [
            "",
            "## Licensed background not included",
            "",
            "The background is licensed data and is not part of this bundle. Export these",
            "processed datapackages from the Brightway project that holds it (each database's",
            "`filepath_processed()`), place them under `datapackages/background/` with these",
            "names, and run the script: it checks their SHA-256 against the manifest.",
            "",
            *(
                f"- `{name}` sha256 `{digest}`"
                for name, digest in manifest["background"]["sha256"].items()
            ),
        ]
    return "\n".join(lines) + "\n"
