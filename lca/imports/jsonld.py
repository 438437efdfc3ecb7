"""Read an openLCA JSON-LD export (olca-schema 2) with bw2io's ``JSONLDImporter``.

bw2io parses, allocates multi-output processes, converts units to each flow's reference unit and
keeps the package's elementary flows as a biosphere of their own. It also models products as
nodes separate from the processes making them; CellCarbon prices a BOM line by the process, as
for ecospold2, so each process is made to produce itself here, and each input is linked to the
process that provides it: the exchange's ``defaultProvider`` when it names one, else the only
process producing that product. An input with no provider, or with several and no default, is
reported as unlinked.

A climate-change impact category shipped in the package (``lcia_categories/``) is kept, so it
can be registered next to IPCC AR6 and compared with it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lca.imports.report import MALFORMED, UNLINKED_EXCHANGE, Problem, Progress, no_progress
from lca.imports.staging import ReadResult

FORMAT = "openlca-jsonld"
_CLIMATE = re.compile(r"climate change|global warming|\bgwp\b", re.IGNORECASE)


def find_package_folder(root: Path) -> Path | None:
    """The folder holding processes/ and flows/ (the zip's root, or one level down)."""
    for candidate in (root, *sorted(p for p in root.iterdir() if p.is_dir())):
        if (candidate / "processes").is_dir() and (candidate / "flows").is_dir():
            return candidate
    return None


def read_jsonld(root: Path, db_name: str, progress: Progress = no_progress) -> ReadResult:
    from bw2io.importers.json_ld import JSONLDImporter

    folder = find_package_folder(root)
    if folder is None:
        return ReadResult(FORMAT, [], [Problem(MALFORMED, root.name, "no processes/ and flows/")])
    problems = _check_json(folder)
    if problems:
        return ReadResult(FORMAT, [], problems)
    progress(0.1, "reading JSON-LD")
    try:
        importer = JSONLDImporter(str(folder), db_name)
        progress(0.4, "linking with bw2io strategies")
        importer.apply_strategies(verbose=False, no_warning=True)
    except (KeyError, AssertionError, ValueError, TypeError, AttributeError) as exc:
        # bw2io's JSON-LD strategies assume a complete package and fail on the first gap.
        problem = Problem(MALFORMED, folder.name, f"not a complete olca-schema package: {exc!r}")
        return ReadResult(FORMAT, [], [problem])
    biosphere_name = f"{db_name} biosphere"
    flows = [dict(flow, database=biosphere_name) for flow in importer.biosphere_database]
    datasets = _processes_producing_themselves(importer.data, db_name, problems)
    progress(0.9, "reading shipped impact categories")
    return ReadResult(
        FORMAT,
        datasets,
        problems,
        biosphere_flows=flows,
        biosphere_name=biosphere_name,
        shipped_methods=_climate_categories(folder, biosphere_name, {f["code"] for f in flows}),
    )


def _check_json(folder: Path) -> list[Problem]:
    """Every file that is not valid JSON, at once (bw2io stops at the first)."""
    problems = []
    for path in sorted(folder.glob("*/*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            location = f"{path.parent.name}/{path.name}"
            problems.append(Problem(MALFORMED, location, f"not valid JSON: {exc}"))
    return problems


def _processes_producing_themselves(
    data: list[dict[str, Any]], db_name: str, problems: list[Problem]
) -> list[dict[str, Any]]:
    processes = [ds for ds in data if ds.get("type") == "process"]
    product_names = {ds["code"]: ds["name"] for ds in data if ds.get("type") == "product"}
    producers: dict[str, list[str]] = {}
    for ds in processes:
        for exc in ds["exchanges"]:
            if exc.get("type") == "production":
                producers.setdefault(exc["code"], []).append(ds["code"])
    codes = {ds["code"] for ds in processes}
    for ds in processes:
        for exc in ds["exchanges"]:
            kind = exc.get("type")
            if kind == "production":
                ds["reference product"] = product_names.get(exc["code"], exc.get("name"))
                exc["input"] = (db_name, ds["code"])
            elif kind in ("technosphere", "substitution"):
                default = (exc.pop("defaultProvider", None) or {}).get("@id")
                candidates = producers.get(exc["code"], [])
                provider = default if default in codes else None
                if provider is None and len(candidates) == 1:
                    provider = candidates[0]
                if provider is None:
                    problems.append(
                        Problem(
                            UNLINKED_EXCHANGE,
                            f"processes/{ds['code']}.json ({ds.get('name')})",
                            f"input '{exc.get('name')}' (flow {exc['code']}) has "
                            f"{len(candidates)} providing processes and no default provider "
                            "in the package",
                        )
                    )
                    exc.pop("input", None)
                else:
                    exc["input"] = (db_name, provider)
            elif kind == "biosphere" and not exc.get("input"):
                problems.append(
                    Problem(
                        UNLINKED_EXCHANGE,
                        f"processes/{ds['code']}.json ({ds.get('name')})",
                        f"elementary flow {exc.get('code')} ({exc.get('name')}) is not in flows/",
                    )
                )
            exc.pop("defaultProvider", None)
    return processes


def _climate_categories(
    folder: Path, biosphere_name: str, flow_codes: set[str]
) -> dict[tuple[str, ...], list[tuple[tuple[str, str], float]]]:
    methods: dict[tuple[str, ...], list[tuple[tuple[str, str], float]]] = {}
    for path in sorted((folder / "lcia_categories").glob("*.json")):
        category = json.loads(path.read_text(encoding="utf-8"))
        name = str(category.get("name", ""))
        if not _CLIMATE.search(name):
            continue
        factors = []
        for factor in category.get("impactFactors", []):
            code = (factor.get("flow") or {}).get("@id")
            if code in flow_codes and isinstance(factor.get("value"), int | float):
                factors.append(((biosphere_name, code), float(factor["value"])))
        if factors:
            methods[(name,)] = factors
    return methods
