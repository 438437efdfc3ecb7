"""The same cell under changes, compared side by side without refactorising the background.

* Foreground changes — the plant's grid region, a material substituted on the BOM — only change
  the cell's inputs: the cached unit scores price them exactly.
* Recycled content — a share of the nickel, cobalt or lithium salt consumed *anywhere* in the
  supply chain comes from a recycling route — changes the background. Replacing the virgin input
  of every consumer by a virgin/recycled mix is a low-rank update ``A' = A + X Yᵀ`` (one rank per
  substituted product), so the Woodbury identity gives the new unit scores exactly from the
  cached LU factorisation: ``U' = U − A⁻ᵀ Y (I + Yᵀ A⁻¹ X)⁻ᵀ Xᵀ U`` (2k solves, no new LU).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from lca.background import Background
from lca.bom import NormalisedBom, plant_heat_product
from lca.engine import MatrixEngine
from lca.errors import InputError
from lca.footprint import FootprintResult, ForegroundProcess, compute
from lca.regionalise import RegionaliseError

# Virgin products and the recycled product that may replace them, by element. Pairs whose codes
# the background lacks are skipped (the recycled routes live in data/…/recycling.csv).
RECYCLED_ROUTES: dict[str, tuple[tuple[str, str], ...]] = {
    "Ni": (
        ("nickel_sulfate", "nickel_sulfate_recycled"),
        ("nickel_sulfate_id", "nickel_sulfate_recycled"),
    ),
    "Co": (("cobalt_sulfate_cn", "cobalt_sulfate_recycled"),),
    "Li": (
        ("lithium_carbonate_cn", "lithium_carbonate_recycled"),
        ("lithium_carbonate_brine_cl", "lithium_carbonate_recycled"),
        ("lithium_hydroxide_cn", "lithium_hydroxide_recycled"),
    ),
}


class ScenarioError(InputError):
    """A scenario names something the background or the BOM does not have."""


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to a BOM; an empty scenario is the baseline."""

    name: str
    grid_region: str | None = None
    substitutions: dict[str, str] = field(default_factory=dict)  # material code → material code
    recycled_share: dict[str, float] = field(default_factory=dict)  # element → share 0..1
    # material code → a supplier-specific process its lines use instead (a supplier swap)
    supplier_swaps: dict[str, ForegroundProcess] = field(default_factory=dict)


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    footprint: FootprintResult
    delta_kg_co2e: float
    delta_share: float


def compare(
    background: Background,
    bom: NormalisedBom,
    scenarios: Sequence[Scenario],
    line_processes: Mapping[int, ForegroundProcess] | None = None,
) -> list[ScenarioResult]:
    """The baseline and every scenario, each with its change against the baseline.

    ``line_processes`` (line position → process) are the supplier-specific processes the BOM's
    footprint uses; scenarios keep them unless they substitute or swap that line's material.
    """
    line_processes = dict(line_processes or {})
    baseline = _footprint(background, bom, line_processes)
    results = []
    for scenario in scenarios:
        variant_bom = apply_foreground(background, bom, scenario)
        # A line keeps its supplier data unless its material was substituted (the data is of
        # the old material) or its supplier swapped.
        variant_processes = {
            line.position: scenario.supplier_swaps.get(
                line.material, line_processes.get(line.position)
            )
            for line, original in zip(variant_bom.lines, bom.lines, strict=True)
            if line.material in scenario.supplier_swaps
            or (line.position in line_processes and line.material == original.material)
        }
        variant_background = with_recycled_content(background, scenario.recycled_share)
        footprint = _footprint(variant_background, variant_bom, variant_processes)
        delta = footprint.kg_co2e - baseline.kg_co2e
        results.append(
            ScenarioResult(
                scenario=scenario,
                footprint=footprint,
                delta_kg_co2e=delta,
                delta_share=delta / baseline.kg_co2e if baseline.kg_co2e else 0.0,
            )
        )
    return results


def _footprint(
    background: Background,
    bom: NormalisedBom,
    line_processes: Mapping[int, ForegroundProcess | None],
) -> FootprintResult:
    inputs = bom.foreground_inputs()
    processes = {}
    try:
        regionalised = bom.regionalised_processes(background)
    except RegionaliseError as exc:  # a substituted material that cannot be made in a region
        raise ScenarioError(str(exc)) from exc
    for position, copy in regionalised.items():
        if line_processes.get(position) is None:
            inputs[position] = replace(inputs[position], product=copy.code)
            processes[copy.code] = copy
    for position, process in line_processes.items():
        if process is not None:
            inputs[position] = replace(inputs[position], product=process.code)
            processes[process.code] = process
    return compute(background, inputs, bom.nominal_energy_kwh, processes)


def check_scenario(
    background: Background, materials: frozenset[str] | set[str], scenario: Scenario
) -> None:
    """Raise :class:`ScenarioError` if ``scenario`` cannot apply to a BOM of ``materials``."""
    if scenario.grid_region is not None and scenario.grid_region not in background.grid_regions:
        raise ScenarioError(f"unknown grid region '{scenario.grid_region}'")
    for material in scenario.supplier_swaps:
        if material not in materials:
            raise ScenarioError(f"the BOM has no line of material '{material}' to swap suppliers")
    current = set(materials)
    for old, new in scenario.substitutions.items():
        if new not in background.products:
            raise ScenarioError(f"unknown material code '{new}'")
        if (
            background.products[new].unit
            != background.products.get(old, background.products[new]).unit
        ):
            raise ScenarioError(f"'{old}' and '{new}' are not counted in the same unit")
        if old not in current:
            raise ScenarioError(f"the BOM has no line of material '{old}'")
        # Substitutions apply in order: a later one may name an earlier one's new material.
        current = (current - {old}) | {new}


def apply_foreground(
    background: Background, bom: NormalisedBom, scenario: Scenario
) -> NormalisedBom:
    """``bom`` with the scenario's foreground changes: grid region and substitutions."""
    check_scenario(background, {line.material for line in bom.lines}, scenario)
    changed = bom
    if scenario.grid_region is not None:
        grid = background.grid_regions[scenario.grid_region]
        changed = replace(
            changed,
            grid_region=grid.region,
            electricity_product=grid.activity,
            heat_product=plant_heat_product(background, grid.region),
        )
    for old, new in scenario.substitutions.items():
        changed = replace(
            changed,
            lines=tuple(
                replace(line, material=new) if line.material == old else line
                for line in changed.lines
            ),
        )
    return changed


def with_recycled_content(background: Background, shares: dict[str, float]) -> Background:
    """A view of ``background`` where ``shares[element]`` of each virgin salt is recycled."""
    pairs = []
    for element, share in shares.items():
        if element not in RECYCLED_ROUTES:
            raise ScenarioError(
                f"no recycled route for '{element}'; known: {sorted(RECYCLED_ROUTES)}"
            )
        if not 0.0 <= share <= 1.0:
            raise ScenarioError(f"recycled share of {element} must be within 0..1 (got {share})")
        available = [
            (virgin, recycled)
            for virgin, recycled in RECYCLED_ROUTES[element]
            if virgin in background.products and recycled in background.products
        ]
        if not available:
            raise ScenarioError(f"the background has no recycled route for '{element}'")
        pairs += [(virgin, recycled, share) for virgin, recycled in available if share > 0]
    if not pairs:
        return background
    ids = [
        (background.product(v).brightway_id, background.product(r).brightway_id, s)
        for v, r, s in pairs
    ]
    return background.with_unit_scores(substituted_unit_scores(background.engine, ids))


def substituted_unit_scores(
    engine: MatrixEngine, substitutions: Sequence[tuple[int, int, float]]
) -> np.ndarray:
    """Unit scores after every consumer of product ``virgin`` takes ``share`` of it as
    ``recycled`` instead, for each (virgin id, recycled id, share) — exact, by Woodbury."""
    n = len(engine.product_ids)
    k = len(substitutions)
    x = np.zeros((n, k))
    y = np.zeros((n, k))
    technosphere = engine.technosphere.tocsr()
    for i, (virgin, recycled, share) in enumerate(substitutions):
        virgin_row = engine.product_index[virgin]
        recycled_row = engine.product_index[recycled]
        consumption = -technosphere.getrow(virgin_row).toarray().ravel()
        # The virgin and recycled routes themselves keep their inputs as they are.
        consumption[engine.activity_index[virgin]] = 0.0
        consumption[engine.activity_index[recycled]] = 0.0
        x[virgin_row, i] = share
        x[recycled_row, i] = -share
        y[:, i] = consumption
    lu = engine.factorised()
    a_inv_x = np.asarray(lu.solve(x))
    a_inv_t_y = np.asarray(lu.solve(y, trans="T"))
    capacitance = np.eye(k) + y.T @ a_inv_x
    correction = a_inv_t_y @ np.linalg.solve(capacitance.T, x.T @ engine.unit_scores)
    return np.asarray(engine.unit_scores - correction)
