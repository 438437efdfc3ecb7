"""Footprint of a foreground (a cell's BOM lines and plant energy) on top of the background.

Two paths give the same number:

* :func:`compute` — the service's path: a dot product of the foreground amounts with the
  background's cached unit scores (exact, since the foreground is one activity producing one cell).
* :func:`reference_score` — a plain ``bw2calc.LCA`` on the background's datapackages plus the
  foreground as an in-memory ``bw_processing`` datapackage. Tests hold the two equal to 1e-9.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lca.background import GAS_GROUPS, INDICATORS, Background

STAGE_MATERIALS = "raw_material_acquisition_and_pre_processing"
STAGE_PRODUCTION = "main_product_production"


@dataclass(frozen=True)
class ForegroundInput:
    """One input of the cell: ``amount`` of ``product`` in the product's reference unit."""

    label: str
    product: str  # a background product code, or the code of a ForegroundProcess
    amount: float
    component: str
    stage: str = STAGE_MATERIALS
    supplier: str | None = None


@dataclass(frozen=True)
class ForegroundProcess:
    """A process on top of the background (e.g. a supplier-specific one): inputs of background
    products and direct emissions, per 1 ``unit`` of its product. ``primary_inputs`` and
    ``primary_emissions`` name the parts that are the supplier's own (primary) data."""

    code: str
    product: str  # the background product it stands in for
    inputs: tuple[tuple[str, float], ...]
    emissions: tuple[tuple[str, float], ...]  # flow key → kg
    primary_inputs: tuple[str, ...] = ()
    primary_emissions: tuple[str, ...] = ()
    unit: str = "kg"
    # Aggregated data (an imported supplier PCF): a fixed score row instead of inputs.
    aggregated_row: tuple[float, ...] | None = None
    # A background material's chain re-linked to this grid region (lca.regionalise): secondary
    # data, not the supplier's.
    made_in: str | None = None


Processes = Mapping[str, ForegroundProcess]


@dataclass(frozen=True)
class LineResult:
    label: str
    product: str
    component: str
    stage: str
    amount: float
    unit: str
    kg_co2e: float
    share: float
    supplier: str | None = None
    data_quality: str = "secondary"  # "secondary" | "primary" | "primary (aggregated)"
    primary_kg_co2e: float = 0.0
    made_in: str | None = None  # the grid region its material's chain was re-linked to


@dataclass(frozen=True)
class FootprintResult:
    """Emissions of one cell, kg CO2e (IPCC AR6 GWP100 unless named otherwise)."""

    kg_co2e: float
    kg_co2e_gwp20: float
    nominal_energy_kwh: float
    kg_co2e_per_kwh: float
    lines: tuple[LineResult, ...]
    by_component: dict[str, float]
    by_stage: dict[str, float]
    by_gas: dict[str, float]
    biogenic_co2_emission_kg: float
    biogenic_co2_removal_kg: float
    background_name: str
    background_version: str
    method: str
    by_supplier: dict[str, float] = field(default_factory=dict)
    primary_data_share: float = 0.0
    notes: tuple[str, ...] = field(default=())


def process_row(background: Background, process: ForegroundProcess) -> np.ndarray:
    """Scores of one unit of ``process`` in every indicator of :data:`INDICATORS`."""
    if process.aggregated_row is not None:
        return np.asarray(process.aggregated_row)
    row = np.zeros(len(INDICATORS))
    for product, amount in process.inputs:
        row += amount * background.unit_score_row(product)
    for flow, kg in process.emissions:
        row += kg * background.flow_row(flow)
    return row


def primary_score(background: Background, process: ForegroundProcess) -> float:
    """GWP100 of one unit of ``process`` that comes from the supplier's primary data."""
    if process.aggregated_row is not None:
        return float(process.aggregated_row[INDICATORS.index("gwp100")])
    column = INDICATORS.index("gwp100")
    return float(
        sum(
            amount * background.unit_score_row(product)[column]
            for product, amount in process.inputs
            if product in process.primary_inputs
        )
        + sum(
            kg * background.flow_row(flow)[column]
            for flow, kg in process.emissions
            if flow in process.primary_emissions
        )
    )


def _row(background: Background, processes: Processes, code: str) -> np.ndarray:
    process = processes.get(code)
    return process_row(background, process) if process else background.unit_score_row(code)


def compute(
    background: Background,
    inputs: list[ForegroundInput],
    nominal_energy_kwh: float,
    processes: Processes | None = None,
) -> FootprintResult:
    """Footprint of one cell made from ``inputs`` (see module docstring for exactness).

    An input whose ``product`` names one of ``processes`` is priced by that process (e.g. a
    supplier-specific one); every other input by the background's unit scores.
    """
    processes = processes or {}
    if not inputs:
        raise ValueError("a footprint needs at least one input")
    if not nominal_energy_kwh > 0:
        raise ValueError("nominal energy must be positive")
    gwp100 = INDICATORS.index("gwp100")
    amounts = np.array([i.amount for i in inputs])
    rows = np.vstack([_row(background, processes, i.product) for i in inputs])
    per_input = rows * amounts[:, None]
    totals = per_input.sum(axis=0)
    total = float(totals[gwp100])
    lines = []
    for item, score in zip(inputs, per_input[:, gwp100], strict=True):
        process = processes.get(item.product)
        if process is None:
            unit, quality, primary = background.product(item.product).unit, "secondary", 0.0
        elif process.made_in is not None:
            unit, quality, primary = process.unit, "secondary", 0.0
        else:
            unit = process.unit
            quality = "primary (aggregated)" if process.aggregated_row else "primary"
            primary = item.amount * primary_score(background, process)
        lines.append(
            LineResult(
                label=item.label,
                product=process.product if process else item.product,
                component=item.component,
                stage=item.stage,
                amount=item.amount,
                unit=unit,
                kg_co2e=float(score),
                share=float(score / total) if total else 0.0,
                supplier=item.supplier,
                data_quality=quality,
                primary_kg_co2e=primary,
                made_in=process.made_in if process else None,
            )
        )
    line_tuple = tuple(lines)
    primary_total = sum(line.primary_kg_co2e for line in line_tuple)
    return FootprintResult(
        kg_co2e=total,
        kg_co2e_gwp20=float(totals[INDICATORS.index("gwp20")]),
        nominal_energy_kwh=nominal_energy_kwh,
        kg_co2e_per_kwh=total / nominal_energy_kwh,
        lines=line_tuple,
        by_component=_sum_by(line_tuple, "component"),
        by_stage=_sum_by(line_tuple, "stage"),
        by_gas={g: float(totals[INDICATORS.index(f"gwp100_{g}")]) for g in GAS_GROUPS},
        biogenic_co2_emission_kg=float(totals[INDICATORS.index("biogenic_co2_emission_kg")]),
        biogenic_co2_removal_kg=float(totals[INDICATORS.index("biogenic_co2_removal_kg")]),
        background_name=background.name,
        background_version=background.version,
        method=background.method,
        by_supplier=_sum_by(tuple(line for line in line_tuple if line.supplier), "supplier"),
        primary_data_share=primary_total / total if total else 0.0,
    )


def _sum_by(lines: tuple[LineResult, ...], attribute: str) -> dict[str, float]:
    sums: dict[str, float] = defaultdict(float)
    for line in lines:
        sums[getattr(line, attribute)] += line.kg_co2e
    return dict(sorted(sums.items()))


def reference_score(
    background: Background,
    inputs: list[ForegroundInput],
    method: str = "gwp100",
    processes: Processes | None = None,
) -> float:
    """GWP score of the same foreground by a plain ``bw2calc.LCA`` (the slow, obvious way).

    The cell and every foreground process used become activities of an in-memory
    ``bw_processing`` datapackage next to the background's own datapackages.
    """
    import bw2calc

    foreground = foreground_datapackage(background, inputs, processes)
    data_objs = [
        *background.data_objs,
        background.method_package(method),
        *foreground.data_objs(method),
    ]
    lca = bw2calc.LCA({foreground.cell_id: 1.0}, data_objs=data_objs)
    lca.lci()
    lca.lcia()
    return float(lca.score)


@dataclass(frozen=True)
class ForegroundPackage:
    """A foreground as a ``bw_processing`` datapackage: the cell is activity ``cell_id``.

    ``characterisation`` holds, per method, the factor of the pseudo-flow that carries
    aggregated scores (empty when no process is aggregated); a run in one method adds that
    method's package only.
    """

    package: Any
    cell_id: int
    characterisation: dict[str, Any]

    def data_objs(self, method: str) -> list[Any]:
        extra = self.characterisation.get(method)
        return [self.package] if extra is None else [self.package, extra]


def foreground_datapackage(
    background: Background,
    inputs: list[ForegroundInput],
    processes: Processes | None = None,
    fs: Any = None,
    fs_factory: Any = None,
) -> ForegroundPackage:
    """The cell and every foreground process as activities of one datapackage (written to the
    ``fsspec`` filesystem ``fs`` when given, else kept in memory; ``fs_factory(method)`` then
    gives the filesystem of each pseudo-flow characterisation package).

    An aggregated process (an imported PCF: a score row, no inventory) emits one kg of a
    pseudo-flow per kg CO2e, one pseudo-flow per method, characterised by 1 in that method
    only, so that a plain bw2calc run on the package reproduces its scores exactly.
    """
    import bw_processing as bwp

    processes = processes or {}
    cell = background.foreground_id
    process_ids = {code: cell + 1 + n for n, code in enumerate(sorted(processes))}
    pseudo_flows = {
        method: cell + 1 + len(process_ids) + n for n, method in enumerate(AGGREGATED_METHODS)
    }

    def node(code: str) -> int:
        return process_ids[code] if code in process_ids else background.product(code).brightway_id

    technosphere: list[tuple[int, int, float, bool]] = [(cell, cell, 1.0, False)]
    technosphere += [(node(i.product), cell, i.amount, True) for i in inputs]
    biosphere: list[tuple[int, int, float]] = []
    for code, process in processes.items():
        pid = process_ids[code]
        technosphere.append((pid, pid, 1.0, False))
        if process.aggregated_row is not None:
            biosphere += [
                (flow, pid, process.aggregated_row[INDICATORS.index(method)])
                for method, flow in pseudo_flows.items()
            ]
            continue
        technosphere += [(node(p), pid, amount, True) for p, amount in process.inputs]
        biosphere += [(background.flows[f].brightway_id, pid, kg) for f, kg in process.emissions]
    datapackage = bwp.create_datapackage(fs=fs, name="cellcarbon-foreground", sequential=True)
    datapackage.add_persistent_vector(
        matrix="technosphere_matrix",
        name="cellcarbon-foreground",
        indices_array=np.array([(r, c) for r, c, _, _ in technosphere], dtype=bwp.INDICES_DTYPE),
        data_array=np.array([v for _, _, v, _ in technosphere]),
        # Inputs are consumed: bw2calc flips their sign into the technosphere matrix.
        flip_array=np.array([f for _, _, _, f in technosphere]),
    )
    if biosphere:
        datapackage.add_persistent_vector(
            matrix="biosphere_matrix",
            name="cellcarbon-foreground-emissions",
            indices_array=np.array([(r, c) for r, c, _ in biosphere], dtype=bwp.INDICES_DTYPE),
            data_array=np.array([v for _, _, v in biosphere]),
        )
    if fs is not None:
        datapackage.finalize_serialization()
    characterisation = {}
    if any(p.aggregated_row is not None for p in processes.values()):
        for method, flow in pseudo_flows.items():
            characterisation[method] = _pseudo_flow_factor(
                method, flow, None if fs is None else fs_factory(method)
            )
    return ForegroundPackage(datapackage, cell, characterisation)


def _pseudo_flow_factor(method: str, flow: int, fs: Any) -> Any:
    """A one-factor characterisation datapackage: 1 kg CO2e per kg of ``flow`` in ``method``."""
    import bw_processing as bwp

    package = bwp.create_datapackage(fs=fs, name=f"cellcarbon-aggregated-{method}")
    package.add_persistent_vector(
        matrix="characterization_matrix",
        name=f"cellcarbon-aggregated-{method}",
        indices_array=np.array([(flow, 1)], dtype=bwp.INDICES_DTYPE),
        data_array=np.array([1.0]),
        global_index=1,
    )
    if fs is not None:
        package.finalize_serialization()
    return package


# Methods an aggregated process can be priced in by a plain bw2calc run (see above).
AGGREGATED_METHODS = ("gwp100", "gwp20")


@dataclass(frozen=True)
class UpstreamContribution:
    """A background activity whose own emissions are part of a footprint."""

    code: str
    name: str
    location: str
    amount: float  # how much of its reference product the cell's supply chain needs
    unit: str
    kg_co2e: float
    share: float


def upstream(
    background: Background,
    inputs: list[ForegroundInput],
    *,
    top: int = 10,
    cutoff: float = 0.0,
    processes: Processes | None = None,
) -> tuple[list[UpstreamContribution], float]:
    """The ``top`` activities contributing most (GWP100) to the foreground, and the kg CO2e of
    all the others (one forward solve with the cached factorisation). A foreground process's
    own emissions (or an aggregated PCF) count as one entry of their own."""
    processes = processes or {}
    column = INDICATORS.index("gwp100")
    demand: dict[int, float] = defaultdict(float)
    own: dict[str, float] = defaultdict(float)
    for item in inputs:
        process = processes.get(item.product)
        if process is None:
            demand[background.product(item.product).brightway_id] += item.amount
        elif process.aggregated_row is not None:
            own[process.code] += item.amount * process.aggregated_row[column]
        else:
            for product, amount in process.inputs:
                demand[background.product(product).brightway_id] += item.amount * amount
            own[process.code] += item.amount * sum(
                kg * background.flow_row(flow)[column] for flow, kg in process.emissions
            )
    contributions, rest = background.engine.upstream_contributions(demand, top=top, cutoff=cutoff)
    total = sum(c.score for c in contributions) + rest + sum(own.values())
    listed = [
        UpstreamContribution(
            code=code,
            name=(
                f"{processes[code].product} made in {processes[code].made_in} "
                "(direct emissions of its regionalised chain)"
                if processes[code].made_in
                else f"supplier-specific process {code} (direct emissions)"
            ),
            location="",
            amount=0.0,
            unit="",
            kg_co2e=score,
            share=score / total if total else 0.0,
        )
        for code, score in own.items()
        if score
    ]
    for contribution in contributions:
        node = background.product_by_id(contribution.activity_id)
        listed.append(
            UpstreamContribution(
                code=node.code,
                name=node.name,
                location=node.location,
                amount=contribution.amount,
                unit=node.unit,
                kg_co2e=contribution.score,
                share=contribution.score / total if total else 0.0,
            )
        )
    listed.sort(key=lambda u: -abs(u.kg_co2e))
    kept = listed[:top]
    return kept, total - sum(u.kg_co2e for u in kept)
