"""Footprint of a foreground (a cell's BOM lines and plant energy) on top of the background.

Two paths give the same number:

* :func:`compute` — the service's path: a dot product of the foreground amounts with the
  background's cached unit scores (exact, since the foreground is one activity producing one cell).
* :func:`reference_score` — a plain ``bw2calc.LCA`` on the background's datapackages plus the
  foreground as an in-memory ``bw_processing`` datapackage. Tests hold the two equal to 1e-9.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from lca.background import GAS_GROUPS, INDICATORS, Background

STAGE_MATERIALS = "raw_material_acquisition_and_pre_processing"
STAGE_PRODUCTION = "main_product_production"


@dataclass(frozen=True)
class ForegroundInput:
    """One input of the cell: ``amount`` of ``product`` in the product's reference unit."""

    label: str
    product: str
    amount: float
    component: str
    stage: str = STAGE_MATERIALS


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
    notes: tuple[str, ...] = field(default=())


def compute(
    background: Background, inputs: list[ForegroundInput], nominal_energy_kwh: float
) -> FootprintResult:
    """Footprint of one cell made from ``inputs`` (see module docstring for exactness)."""
    if not inputs:
        raise ValueError("a footprint needs at least one input")
    if not nominal_energy_kwh > 0:
        raise ValueError("nominal energy must be positive")
    amounts = np.array([i.amount for i in inputs])
    rows = np.vstack([background.unit_score_row(i.product) for i in inputs])
    per_input = rows * amounts[:, None]
    totals = per_input.sum(axis=0)
    total = float(totals[INDICATORS.index("gwp100")])
    line_scores = per_input[:, INDICATORS.index("gwp100")]
    lines = tuple(
        LineResult(
            label=i.label,
            product=i.product,
            component=i.component,
            stage=i.stage,
            amount=i.amount,
            unit=background.product(i.product).unit,
            kg_co2e=float(score),
            share=float(score / total) if total else 0.0,
        )
        for i, score in zip(inputs, line_scores, strict=True)
    )
    return FootprintResult(
        kg_co2e=total,
        kg_co2e_gwp20=float(totals[INDICATORS.index("gwp20")]),
        nominal_energy_kwh=nominal_energy_kwh,
        kg_co2e_per_kwh=total / nominal_energy_kwh,
        lines=lines,
        by_component=_sum_by(lines, "component"),
        by_stage=_sum_by(lines, "stage"),
        by_gas={g: float(totals[INDICATORS.index(f"gwp100_{g}")]) for g in GAS_GROUPS},
        biogenic_co2_emission_kg=float(totals[INDICATORS.index("biogenic_co2_emission_kg")]),
        biogenic_co2_removal_kg=float(totals[INDICATORS.index("biogenic_co2_removal_kg")]),
        background_name=background.name,
        background_version=background.version,
        method=background.method,
    )


def _sum_by(lines: tuple[LineResult, ...], attribute: str) -> dict[str, float]:
    sums: dict[str, float] = defaultdict(float)
    for line in lines:
        sums[getattr(line, attribute)] += line.kg_co2e
    return dict(sorted(sums.items()))


def reference_score(
    background: Background, inputs: list[ForegroundInput], method: str = "gwp100"
) -> float:
    """GWP score of the same foreground by a plain ``bw2calc.LCA`` (the slow, obvious way)."""
    import bw2calc
    import bw_processing as bwp

    foreground_id = background.foreground_id
    indices = [(foreground_id, foreground_id)] + [
        (background.product(i.product).brightway_id, foreground_id) for i in inputs
    ]
    datapackage = bwp.create_datapackage(sequential=True)
    datapackage.add_persistent_vector(
        matrix="technosphere_matrix",
        name="cellcarbon-foreground",
        indices_array=np.array(indices, dtype=bwp.INDICES_DTYPE),
        data_array=np.array([1.0] + [i.amount for i in inputs]),
        # Inputs are consumed: bw2calc flips their sign into the technosphere matrix.
        flip_array=np.array([False] + [True] * len(inputs)),
    )
    data_objs = [*background.data_objs, background.method_package(method), datapackage]
    lca = bw2calc.LCA({foreground_id: 1.0}, data_objs=data_objs)
    lca.lci()
    lca.lcia()
    return float(lca.score)


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
    background: Background, inputs: list[ForegroundInput], *, top: int = 10, cutoff: float = 0.0
) -> tuple[list[UpstreamContribution], float]:
    """The ``top`` background activities contributing most (GWP100) to the foreground, and the
    kg CO2e of all the others (one forward solve with the cached factorisation)."""
    demand: dict[int, float] = defaultdict(float)
    for item in inputs:
        demand[background.product(item.product).brightway_id] += item.amount
    contributions, rest = background.engine.upstream_contributions(demand, top=top, cutoff=cutoff)
    listed = []
    for contribution in contributions:
        product = background.product_by_id(contribution.activity_id)
        listed.append(
            UpstreamContribution(
                code=product.code,
                name=product.name,
                location=product.location,
                amount=contribution.amount,
                unit=product.unit,
                kg_co2e=contribution.score,
                share=contribution.share,
            )
        )
    return listed, rest
