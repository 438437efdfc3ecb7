"""Lint the shipped background data and show the cradle-to-gate score of every product.

Run ``python -m lca.data_check [--domain cathode]``. The checks are the ones ``make test`` runs:
every row sourced, units Pint-valid and of the right dimension, one producer per product, every
reference resolvable, every flow characterised, no empty activities, a non-singular system.

The scores here are computed with scipy directly from the CSVs, independently of the Brightway
build, so this module doubles as a cross-check of :mod:`lca.build`.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from lca.catalogue import DEFAULT_DATA_DIR, Catalogue, load_catalogue
from lca.units import CANONICAL_UNITS, UnitError, convert, parse_quantity

ALLOWED_KINDS = ("technosphere", "biosphere")
FLOW_UNIT = "kg"


@dataclass(frozen=True)
class ConvertedExchange:
    """An exchange whose amount is expressed in its input's reference unit."""

    activity: str
    kind: str
    input: str
    amount: float
    gsd: float | None


def lint(catalogue: Catalogue) -> list[str]:
    """Every problem found in the data, each as ``'file:line: what is wrong'``."""
    problems = list(catalogue.parse_errors)
    problems += _lint_activities(catalogue)
    _, exchange_problems = convert_exchanges(catalogue)
    problems += exchange_problems
    problems += _lint_method(catalogue)
    problems += _lint_regions_and_densities(catalogue)
    if not problems:
        problems += _lint_solvable(catalogue)
    return problems


def _lint_activities(catalogue: Catalogue) -> list[str]:
    problems = []
    counts = Counter(a.code for a in catalogue.activities)
    for activity in catalogue.activities:
        if counts[activity.code] > 1:
            problems.append(f"{activity.origin}: product '{activity.code}' has several producers")
        if not activity.source:
            problems.append(f"{activity.origin}: activity '{activity.code}' has no source")
        if activity.unit not in CANONICAL_UNITS:
            problems.append(
                f"{activity.origin}: unit '{activity.unit}' of '{activity.code}' is not one of "
                f"{', '.join(CANONICAL_UNITS)}"
            )
    with_exchanges = {e.activity for e in catalogue.exchanges}
    for activity in catalogue.activities:
        if activity.code not in with_exchanges:
            problems.append(
                f"{activity.origin}: activity '{activity.code}' is an orphan (no exchanges)"
            )
    return problems


def convert_exchanges(catalogue: Catalogue) -> tuple[list[ConvertedExchange], list[str]]:
    """Convert every exchange amount to its input's reference unit; report what fails."""
    activities = catalogue.activity_by_code()
    flows = {f.key for f in catalogue.flows}
    converted: list[ConvertedExchange] = []
    problems: list[str] = []
    for exchange in catalogue.exchanges:
        where = f"{exchange.origin}: {exchange.activity} ← {exchange.input}"
        if exchange.activity not in activities:
            problems.append(f"{where}: no activity '{exchange.activity}' is defined")
            continue
        if not exchange.source:
            problems.append(f"{where}: no source")
        if exchange.kind not in ALLOWED_KINDS:
            problems.append(f"{where}: type '{exchange.kind}' is not one of {ALLOWED_KINDS}")
            continue
        if not math.isfinite(exchange.amount):
            problems.append(f"{where}: amount is not a finite number")
            continue
        if exchange.gsd is not None and not exchange.gsd >= 1:
            problems.append(f"{where}: gsd {exchange.gsd} must be ≥ 1")
        if exchange.kind == "technosphere":
            if exchange.input not in activities:
                problems.append(f"{where}: no activity produces '{exchange.input}'")
                continue
            if exchange.input == exchange.activity:
                problems.append(f"{where}: an activity may not consume its own product")
                continue
            target = activities[exchange.input].unit
        else:
            if exchange.input not in flows:
                problems.append(f"{where}: '{exchange.input}' is not a key of method/flows.csv")
                continue
            target = FLOW_UNIT
        try:
            amount = convert(parse_quantity(f"{exchange.amount!r} {exchange.unit}"), target)
        except UnitError as exc:
            problems.append(f"{where}: {exc}")
            continue
        converted.append(
            ConvertedExchange(
                exchange.activity, exchange.kind, exchange.input, amount, exchange.gsd
            )
        )
    return converted, problems


def _lint_method(catalogue: Catalogue) -> list[str]:
    problems = []
    characterised = {f.flow for f in catalogue.factors}
    flow_keys = {f.key for f in catalogue.flows}
    reported = _reported_gas_groups()
    for flow in catalogue.flows:
        if flow.gas_group not in reported:
            # A group the engine does not report would drop the flow from the by-gas split while
            # it still counts in the total, so the split would no longer add up.
            problems.append(
                f"flows.csv: gas group '{flow.gas_group}' of '{flow.key}' is not one of "
                f"{', '.join(reported)}"
            )
    for factor in catalogue.factors:
        if factor.flow not in flow_keys:
            problems.append(f"ipcc_ar6.csv: '{factor.flow}' is not a key of method/flows.csv")
        if not factor.source:
            problems.append(f"ipcc_ar6.csv: factor for '{factor.flow}' has no source")
    used = {e.input for e in catalogue.exchanges if e.kind == "biosphere"}
    for key in sorted(used - characterised):
        problems.append(f"biosphere flow '{key}' is used but has no characterisation factor")
    return problems


def _reported_gas_groups() -> tuple[str, ...]:
    """The by-gas groups a footprint reports, plus the separately reported biogenic CO2."""
    from lca.background import GAS_GROUPS  # the engine's list; imported late (it loads Brightway)

    return (*GAS_GROUPS, "co2_biogenic")


def _lint_regions_and_densities(catalogue: Catalogue) -> list[str]:
    problems = []
    activities = catalogue.activity_by_code()
    for region in catalogue.grid_regions:
        activity = activities.get(region.activity)
        if activity is None or activity.unit != "kWh":
            problems.append(
                f"regions.csv: region {region.region} names '{region.activity}', "
                "which is not an electricity activity in kWh"
            )
        if region.residual_mix_kg_per_kwh is not None and not region.residual_mix_source:
            problems.append(f"regions.csv: residual mix of {region.region} has no source")
    for density in catalogue.densities:
        if density.code not in activities:
            problems.append(f"densities.csv: no activity '{density.code}'")
        if not density.source:
            problems.append(f"densities.csv: density of '{density.code}' has no source")
    return problems


@dataclass(frozen=True)
class PlainSystem:
    """The background as plain scipy matrices: A (products × activities), B, and CFs."""

    codes: tuple[str, ...]
    flow_keys: tuple[str, ...]
    technosphere: sp.csc_matrix
    biosphere: sp.csr_matrix
    gwp100: np.ndarray


def plain_system(catalogue: Catalogue) -> PlainSystem:
    """Assemble A = I − inputs and B from the CSVs (no Brightway involved)."""
    converted, _ = convert_exchanges(catalogue)
    codes = tuple(sorted(a.code for a in catalogue.activities))
    column = {code: i for i, code in enumerate(codes)}
    flow_keys = tuple(f.key for f in catalogue.flows)
    flow_row = {key: i for i, key in enumerate(flow_keys)}
    n = len(codes)
    a = sp.identity(n, format="lil")
    b = sp.lil_matrix((len(flow_keys), n))
    for exchange in converted:
        j = column[exchange.activity]
        if exchange.kind == "technosphere":
            a[column[exchange.input], j] -= exchange.amount
        else:
            b[flow_row[exchange.input], j] += exchange.amount
    factors = {f.flow: f.gwp100 for f in catalogue.factors}
    gwp100 = np.array([factors.get(key, 0.0) for key in flow_keys])
    return PlainSystem(codes, flow_keys, a.tocsc(), b.tocsr(), gwp100)


def unit_scores(system: PlainSystem) -> dict[str, float]:
    """Cradle-to-gate GWP100 per reference unit of every product (one adjoint solve)."""
    rhs = system.biosphere.T @ system.gwp100
    scores = spla.spsolve(system.technosphere.T.tocsc(), rhs)
    return dict(zip(system.codes, np.atleast_1d(scores).tolist(), strict=True))


def _lint_solvable(catalogue: Catalogue) -> list[str]:
    system = plain_system(catalogue)
    if system.technosphere.shape[0] == 0:
        return ["no activities"]
    try:
        lu = spla.splu(system.technosphere)
    except RuntimeError as exc:
        return [f"technosphere matrix is singular ({exc})"]
    diagonal = np.abs(lu.U.diagonal())
    if diagonal.min() < 1e-12 * max(diagonal.max(), 1.0):
        return ["technosphere matrix is numerically singular"]
    scores = unit_scores(system)
    return [
        f"score of '{code}' is not finite" for code, v in scores.items() if not math.isfinite(v)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--domain", help="only print scores of activities from this file stem")
    args = parser.parse_args(argv)
    catalogue = load_catalogue(args.data)
    problems = lint(catalogue)
    for problem in problems:
        print(f"PROBLEM {problem}")
    print(
        f"{len(catalogue.activities)} activities, {len(catalogue.exchanges)} exchanges, "
        f"{len(problems)} problems"
    )
    if problems:
        return 1
    scores = unit_scores(plain_system(catalogue))
    print(f"{'code':36} {'kg CO2e (GWP100)':>18}  per   file")
    for activity in sorted(catalogue.activities, key=lambda a: (a.origin, a.code)):
        if args.domain and not activity.origin.startswith(args.domain + "."):
            continue
        print(
            f"{activity.code:36} {scores[activity.code]:18.4f}  {activity.unit:5} "
            f"{activity.origin.split(':')[0]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
