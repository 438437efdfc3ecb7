"""The synthetic background of benchmarks/synthetic.py written as an ecospold2 release.

Same seeded structure (activities, inputs, emissions) as :func:`generate_background`; elementary
flows are real biosphere3 flows so the import links them: flow 0, the most emitted (Zipf), is
fossil CO2, then the other air emissions IPCC AR6 characterises (data/method/flows.csv), then
air emissions without a GWP from bw2io's ecoinvent 3.9 flow list. Units: kWh for the
electricity hubs (MJ for the last, a heat hub), metric ton*km for transport, kg otherwise. No
uncertainty is written.

:func:`expected_unit_scores` solves the same system with SciPy from the arrays (amounts rounded
to float32 as Brightway stores them), so an import can be checked against it.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from benchmarks.synthetic import N_ELECTRICITY_HUBS, N_HUBS, exchange_arrays
from lca.imports.methods import looks_like_greenhouse_gas

ROOT = Path(__file__).resolve().parent.parent
_NAMESPACE = uuid.UUID("5b0e5f0e-6a47-4e0a-9d6c-2f1f3c1c2a77")
_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<ecoSpold xmlns="http://www.EcoInvent.org/EcoSpold02"><activityDataset>'
    "<activityDescription>"
    '<activity id="{id}" activityNameId="{id}" specialActivityType="0">'
    "<activityName>{name}</activityName></activity>"
    '<geography><shortname>GLO</shortname></geography><technology technologyLevel="3"/>'
    '<timePeriod startDate="2024-01-01" endDate="2024-12-31" isDataValidForEntirePeriod="true"/>'
    "</activityDescription><flowData>\n"
)
_FOOTER = (
    "</flowData><modellingAndValidation/><administrativeInformation>"
    '<dataEntryBy personName="synthetic" personEmail="-"/>'
    '<dataGeneratorAndPublication personName="synthetic" personEmail="-"/>'
    "</administrativeInformation></activityDataset></ecoSpold>\n"
)


def _ids(seed: int, index: int) -> tuple[str, str]:
    return (
        str(uuid.uuid5(_NAMESPACE, f"{seed}:activity:{index}")),
        str(uuid.uuid5(_NAMESPACE, f"{seed}:product:{index}")),
    )


# The last electricity hub is a heat hub instead, so a BOM's plant heat (MJ) can be mapped too.
HEAT_HUB = N_ELECTRICITY_HUBS - 1


def _product(index: int) -> tuple[str, str]:
    if index == HEAT_HUB:
        return f"heat, natural gas, mix {index}", "MJ"
    if index < N_ELECTRICITY_HUBS:
        return f"electricity, mix {index}", "kWh"
    if index < N_HUBS:
        return f"transport, mode {index - N_ELECTRICITY_HUBS}", "metric ton*km"
    return f"synthetic product {index}", "kg"


def elementary_flows(n_flows: int) -> list[tuple[str, str, str, float]]:
    """(biosphere3 code, name, subcompartment, GWP100) of the ``n_flows`` flows, in index order."""
    flows: list[tuple[str, str, str, float]] = []
    factors = {}
    with (ROOT / "data" / "method" / "ipcc_ar6.csv").open(newline="") as handle:
        factors = {row["flow"]: float(row["gwp100"]) for row in csv.DictReader(handle)}
    with (ROOT / "data" / "method" / "flows.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["categories"] == "air" and factors.get(row["key"]):
                flows.append(
                    (row["biosphere3_code"], row["name"], "unspecified", factors[row["key"]])
                )
    import bw2io

    listing = Path(bw2io.__file__).parent / "data" / "lci" / "ecoinvent elementary flows 3.9.xml"
    text = listing.read_text(encoding="utf-8")
    others = []
    for match in re.finditer(
        r'<elementaryExchange [^>]*\bid="([^"]+)"[^>]*>(.*?)</elementaryExchange>', text, re.S
    ):
        body = match.group(2)
        name = re.search(r"<name[^>]*>(.*?)</name>", body)
        compartment = re.search(r"<compartment[^>]*>([^<]*)</compartment>", body)
        sub = re.search(r"<subcompartment[^>]*>(.*?)</subcompartment>", body)
        if name and compartment and compartment.group(1) == "air" and sub:
            if not looks_like_greenhouse_gas(name.group(1)):
                others.append((match.group(1), name.group(1), sub.group(1), 0.0))
    others.sort()
    flows.extend(others[: max(0, n_flows - len(flows))])
    if len(flows) < n_flows:
        raise ValueError(f"only {len(flows)} air flows available, {n_flows} asked for")
    return flows[:n_flows]


def write_ecospold2(
    target: Path,
    n_activities: int,
    seed: int,
    *,
    n_flows: int = 200,
    nnz_per_column: float = 12.5,
    progress: Callable[[str], None] = print,
) -> Path:
    """Write ``target/datasets/*.spold`` (one file per activity); return ``target``."""
    arrays = exchange_arrays(seed, n_activities, n_flows, nnz_per_column)
    flows = elementary_flows(n_flows)
    inputs: list[list[tuple[int, float]]] = [[] for _ in range(n_activities)]
    for row, col, amount in zip(
        arrays.tech_rows.tolist(),
        arrays.tech_cols.tolist(),
        arrays.tech_amounts.tolist(),
        strict=True,
    ):
        inputs[col].append((row, amount))
    emissions: list[list[tuple[int, float]]] = [[] for _ in range(n_activities)]
    for row, col, amount in zip(
        arrays.bio_rows.tolist(), arrays.bio_cols.tolist(), arrays.bio_amounts.tolist(), strict=True
    ):
        emissions[col].append((row, amount))
    folder = target / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(n_activities):
        activity_id, product_id = _ids(seed, index)
        name, unit = _product(index)
        parts = [
            _HEADER.format(id=activity_id, name=escape(f"production of {name}")),
            _intermediate(product_id, None, name, unit, 1.0, output=True),
        ]
        for supplier, amount in inputs[index]:
            supplier_activity, supplier_product = _ids(seed, supplier)
            supplier_name, supplier_unit = _product(supplier)
            parts.append(
                _intermediate(
                    supplier_product,
                    supplier_activity,
                    supplier_name,
                    supplier_unit,
                    amount,
                    output=False,
                )
            )
        for flow, amount in emissions[index]:
            code, flow_name, sub, _ = flows[flow]
            parts.append(
                f'<elementaryExchange elementaryExchangeId="{code}" amount="{amount!r}">'
                f"<name>{escape(flow_name)}</name><unitName>kg</unitName>"
                f"<compartment><compartment>air</compartment><subcompartment>{escape(sub)}"
                "</subcompartment></compartment><outputGroup>4</outputGroup>"
                "</elementaryExchange>\n"
            )
        parts.append(_FOOTER)
        (folder / f"{activity_id}_{product_id}.spold").write_text("".join(parts), encoding="utf-8")
    progress(
        f"wrote {n_activities} .spold files ({arrays.tech_amounts.size} inputs, "
        f"{arrays.bio_amounts.size} emissions) to {folder}"
    )
    return target


def _intermediate(
    product_id: str, link: str | None, name: str, unit: str, amount: float, *, output: bool
) -> str:
    group = "<outputGroup>0</outputGroup>" if output else "<inputGroup>5</inputGroup>"
    link_attr = f' activityLinkId="{link}"' if link else ""
    return (
        f'<intermediateExchange intermediateExchangeId="{product_id}"{link_attr} '
        f'amount="{amount!r}"><name>{escape(name)}</name><unitName>{unit}</unitName>'
        f"{group}</intermediateExchange>\n"
    )


def expected_unit_scores(
    n_activities: int, seed: int, *, n_flows: int = 200, nnz_per_column: float = 12.5
) -> np.ndarray:
    """GWP100 of one unit of each activity (index order), solved with SciPy from the arrays."""
    arrays = exchange_arrays(seed, n_activities, n_flows, nnz_per_column)
    f32 = np.float32
    inputs = sp.csc_matrix(
        (arrays.tech_amounts.astype(f32).astype(float), (arrays.tech_rows, arrays.tech_cols)),
        shape=(n_activities, n_activities),
    )
    technosphere = sp.identity(n_activities, format="csc") - inputs
    emissions = sp.csr_matrix(
        (arrays.bio_amounts.astype(f32).astype(float), (arrays.bio_rows, arrays.bio_cols)),
        shape=(n_flows, n_activities),
    )
    factors = np.array([np.float32(gwp) for *_, gwp in elementary_flows(n_flows)], dtype=float)
    direct = emissions.T @ factors
    return np.asarray(spla.splu(technosphere.T.tocsc()).solve(direct))
