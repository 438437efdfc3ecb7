"""Read a SimaPro CSV process export with ``bw_simapro_csv`` and bw2io's SimaPro strategies.

Parsing (blocks, parameters, formulas, units) is ``bw_simapro_csv``'s; linking inputs to the
processes that make them by name, unit and location is bw2io's. Two steps of bw2io's
``SimaProBlockCSVImporter`` are left out:

* ``match_internal_simapro_simapro_with_unit_conversion`` fetches unit definitions from the QUDT
  SPARQL endpoint over the network — an import must not depend on a third-party server;
* linking elementary flows to biosphere3 by (name, categories, unit, location): SimaPro's
  compartments are not ecoinvent's, and a near-miss would silently drop an emission. The
  export's own flows become the background's biosphere instead (as bw2io does for openLCA), and
  IPCC AR6 is linked to them by name and CAS number (lca.imports.methods).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from lca.imports.report import MALFORMED, UNLINKED_EXCHANGE, Problem, Progress, no_progress
from lca.imports.staging import ReadResult

FORMAT = "simapro-csv"
_NAMESPACE = uuid.UUID("0f4c8a52-4a3e-4a8e-9a8b-5d2c2c1e7f61")
# SimaPro's biosphere blocks → top compartment, as lca.imports.methods names them.
_COMPARTMENTS = {
    "Emissions to air": "air",
    "Emissions to water": "water",
    "Emissions to soil": "soil",
    "Resources": "natural resource",
    "Final waste flows": "final waste flows",
    "Non material emissions": "non material emissions",
    "Social issues": "social issues",
    "Economic issues": "economic issues",
}
# '<product> {<location>}| <activity> | <system model or library>'
_PRODUCT_NAME = re.compile(
    r"^(?P<product>.*?)\s*\{(?P<geo>[^}]*)\}\s*\|\s*(?P<activity>[^|]*?)\s*(\|.*)?$"
)


def read_simapro(source: Path, db_name: str, progress: Progress = no_progress) -> ReadResult:
    from bw2io.strategies import (
        drop_unspecified_subcategories,
        link_technosphere_based_on_name_unit_location,
        normalize_units,
        override_process_name_using_single_functional_exchange,
        set_metadata_using_single_functional_exchange,
    )
    from bw_simapro_csv import SimaProCSV

    progress(0.05, "parsing SimaPro CSV")
    try:
        parsed = SimaProCSV(
            Path(source), database_name=db_name, stderr_logs=False, write_logs=False
        )
        data = parsed.to_brightway(separate_products=False)
    except Exception as error:  # bw_simapro_csv raises many kinds on a broken export
        detail = f"not a readable SimaPro CSV export: {str(error).strip()}"
        problem = Problem(MALFORMED, Path(source).name, detail)
        return ReadResult(FORMAT, [], [problem])
    datasets: list[dict[str, Any]] = data["processes"]
    if data.get("products"):
        problem = Problem(MALFORMED, Path(source).name, "multi-output processes are not supported")
        return ReadResult(FORMAT, [], [problem])
    progress(0.5, "linking with bw2io strategies")
    for strategy in (
        normalize_units,
        set_metadata_using_single_functional_exchange,
        override_process_name_using_single_functional_exchange,
        drop_unspecified_subcategories,
        link_technosphere_based_on_name_unit_location,
    ):
        datasets = strategy(datasets)
    problems: list[Problem] = []
    biosphere_name = f"{db_name} biosphere"
    flows: dict[tuple[str, ...], dict[str, Any]] = {}
    for ds in datasets:
        ds["type"] = "process"
        for exc in ds.get("exchanges", []):
            if exc.get("type") == "biosphere":
                exc["input"] = (biosphere_name, _flow(exc, biosphere_name, flows)["code"])
            elif not exc.get("input"):
                problems.append(
                    Problem(
                        UNLINKED_EXCHANGE,
                        f"line {exc.get('line_no', '?')} ({ds.get('name')})",
                        f"input '{exc.get('name')}' [{exc.get('unit')}] is made by no process "
                        "in the export",
                    )
                )
        _split_product_name(ds)
    return ReadResult(
        FORMAT,
        datasets,
        problems,
        biosphere_flows=list(flows.values()),
        biosphere_name=biosphere_name,
    )


def _flow(
    exc: dict[str, Any], biosphere_name: str, flows: dict[tuple[str, ...], dict[str, Any]]
) -> dict[str, Any]:
    block, subcompartment = (tuple(exc.get("context") or ()) + ("", ""))[:2]
    categories = [_COMPARTMENTS.get(block, block.lower())]
    if subcompartment and subcompartment.lower() != "unspecified":
        categories.append(subcompartment)
    key = (exc["name"], *categories, exc.get("unit") or "")
    if key not in flows:
        flows[key] = {
            "database": biosphere_name,
            "code": str(uuid.uuid5(_NAMESPACE, "\0".join(key))),
            "name": exc["name"],
            "categories": tuple(categories),
            "unit": exc.get("unit") or "",
            "CAS number": exc.get("cas_number"),
            "type": "emission",
        }
    return flows[key]


def _split_product_name(ds: dict[str, Any]) -> None:
    """'copper {CL}| copper production, primary | Cut-off, U' → name, product, location."""
    match = _PRODUCT_NAME.match(str(ds.get("name") or ""))
    if not match:
        return
    ds["simapro name"] = ds["name"]
    ds["reference product"] = match["product"]
    ds["location"] = ds.get("location") or match["geo"]
    ds["name"] = match["activity"] or match["product"]
