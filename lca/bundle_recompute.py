#!/usr/bin/env python3
"""Recompute the footprint figures of a CellCarbon verification bundle with plain bw2calc.

Standalone: it needs only ``bw2calc`` and ``bw_processing`` (see ``requirements.txt``), and is
copied into every bundle as ``recompute.py``. Run it from anywhere:

    python recompute.py            # a table, exit status 0 when every figure matches
    python recompute.py --json     # the same as JSON

Steps: check every file against the SHA-256 in ``manifest.json``; then, for each stored figure,
build ``bw2calc.LCA`` on the background's datapackages, the method's and the foreground's, and
compare its score with the stored one (relative tolerance from the manifest).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_files(manifest: dict[str, Any]) -> list[str]:
    """Problems with the bundle's files: missing, or not the bytes the manifest names."""
    expected = dict(manifest["files"])
    expected.update(manifest["background"]["sha256"])
    problems = []
    for relative, digest in sorted(expected.items()):
        path = HERE / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
        elif _sha256(path) != digest:
            problems.append(f"{relative}: SHA-256 differs from the manifest (file was changed)")
    return problems


def recompute(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    import bw2calc
    import bw_processing as bwp
    from fsspec.implementations.zip import ZipFileSystem

    def load(relative: str) -> Any:
        return bwp.load_datapackage(ZipFileSystem(str(HERE / relative)))

    background = [load(relative) for relative in manifest["background"]["datapackages"]]
    rows = []
    for case in manifest["cases"]:
        for method, stored in sorted(case["stored_kg_co2e"].items()):
            data_objs = [
                *background,
                load(manifest["methods"][method]),
                *(load(relative) for relative in case["foreground"][method]),
            ]
            lca = bw2calc.LCA({case["cell_id"]: 1.0}, data_objs=data_objs)
            lca.lci()
            lca.lcia()
            score = float(lca.score)
            scale = max(abs(stored), abs(score))
            relative_difference = abs(score - stored) / scale if scale else 0.0
            rows.append(
                {
                    "case": case["name"],
                    "method": method,
                    "recomputed_kg_co2e_per_cell": score,
                    "stored_kg_co2e_per_cell": stored,
                    "recomputed_kg_co2e_per_kwh": score / manifest["nominal_energy_kwh"],
                    "relative_difference": relative_difference,
                    "match": relative_difference <= manifest["tolerance"],
                }
            )
    return rows


def main(argv: list[str]) -> int:
    manifest = json.loads((HERE / "manifest.json").read_text())
    problems = check_files(manifest)
    if problems:
        print("The bundle's files do not match its manifest:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        if not manifest["background"]["included"]:
            print("The background is not included: see README.md.", file=sys.stderr)
        return 2
    rows = recompute(manifest)
    if "--json" in argv:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'figure':<18}{'method':<8}{'recomputed':>18}{'stored':>18}{'rel. diff':>11}")
        for row in rows:
            print(
                f"{row['case']:<18}{row['method']:<8}"
                f"{row['recomputed_kg_co2e_per_cell']:>18.12g}"
                f"{row['stored_kg_co2e_per_cell']:>18.12g}"
                f"{row['relative_difference']:>11.1e}"
                f"  {'ok' if row['match'] else 'DIFFERS'}"
            )
        print("kg CO2e per cell; tolerance", manifest["tolerance"])
    return 0 if all(row["match"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
