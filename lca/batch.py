"""Thousands of variants of one cell, scored with one sparse product per background view.

A variant is a base BOM under a :class:`~lca.scenarios.Scenario` (grid region, substitutions,
supplier swaps, recycled content) or a whole other BOM. Each variant's foreground becomes one
row of a demand matrix ``D`` (variants × columns), where the columns are the background's
products followed by the foreground processes (supplier-specific data) that any variant uses;
``D @ U`` then prices every variant in every indicator at once, ``U`` being the cached unit
scores with one appended row per foreground process. Location- and market-based figures are two
rows per variant. Recycled content changes the background itself: variants are grouped by their
recycled shares, and each group is priced with its own exact (Woodbury) view of the unit scores,
computed once per group.

The figures are those of :func:`lca.footprint.compute` on the same inputs (same rows, summed in
another order: equal to ~1e-15 relative).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from lca.background import INDICATORS, Background
from lca.bom import NormalisedBom, plant_heat_product
from lca.footprint import ForegroundProcess, process_row
from lca.scenarios import Scenario, ScenarioError, check_scenario, with_recycled_content

BASES = ("location_based", "market_based")
_GWP100 = INDICATORS.index("gwp100")
_GWP20 = INDICATORS.index("gwp20")


@dataclass(frozen=True)
class Variant:
    """One variant: ``scenario`` applied to the base BOM, or to ``bom`` when given.

    ``market_swaps`` are the market-based processes of the suppliers that
    ``scenario.supplier_swaps`` (location-based) swap in, by material.
    """

    key: str
    scenario: Scenario = field(default_factory=lambda: Scenario(name=""))
    bom: NormalisedBom | None = None
    market_swaps: Mapping[str, ForegroundProcess] = field(default_factory=dict)


@dataclass(frozen=True)
class Contributor:
    label: str
    product: str
    kg_co2e: float
    share: float


@dataclass(frozen=True)
class VariantScores:
    """kg CO2e (IPCC AR6 GWP100 unless named) of one cell of a variant."""

    key: str
    kg_co2e_per_cell: float
    kg_co2e_per_kwh: float
    kg_co2e_per_cell_market_based: float
    kg_co2e_per_kwh_market_based: float
    kg_co2e_per_cell_gwp20: float
    nominal_energy_kwh: float
    top: tuple[Contributor, ...]


@dataclass(frozen=True)
class VariantProblem:
    """A variant that cannot be applied: ``loc`` names the field, ``msg`` says why."""

    key: str
    loc: tuple[str | int, ...]
    msg: str


@dataclass(frozen=True)
class ScoredColumns:
    """The scores of a run of variants as columns, one entry per variant in the order given
    (what an answer of thousands of lines formats a column at a time). A variant that could
    not be priced has its problem in ``problems`` (by position) and 0.0 in every column."""

    keys: list[str]
    kg_co2e_per_cell: np.ndarray
    kg_co2e_per_kwh: np.ndarray
    kg_co2e_per_cell_market_based: np.ndarray
    kg_co2e_per_kwh_market_based: np.ndarray
    kg_co2e_per_cell_gwp20: np.ndarray
    nominal_energy_kwh: np.ndarray
    top: list[tuple[Contributor, ...]]  # variants of one foreground share one tuple
    problems: dict[int, VariantProblem]

    def figures(self) -> tuple[np.ndarray, ...]:
        """The six number columns, in the order of :class:`VariantScores`' fields."""
        return (
            self.kg_co2e_per_cell,
            self.kg_co2e_per_kwh,
            self.kg_co2e_per_cell_market_based,
            self.kg_co2e_per_kwh_market_based,
            self.kg_co2e_per_cell_gwp20,
            self.nominal_energy_kwh,
        )

    def rows(self) -> list[VariantScores | VariantProblem]:
        """One result object per variant (the same numbers)."""
        per_cell, per_kwh, market, market_per_kwh, gwp20, energy = (
            column.tolist() for column in self.figures()
        )
        return [
            self.problems[n]
            if n in self.problems
            else VariantScores(
                key,
                per_cell[n],
                per_kwh[n],
                market[n],
                market_per_kwh[n],
                gwp20[n],
                energy[n],
                self.top[n],
            )
            for n, key in enumerate(self.keys)
        ]


def score_variants(
    background: Background,
    base: NormalisedBom,
    variants: Sequence[Variant],
    line_processes: Mapping[str, Mapping[int, ForegroundProcess]] | None = None,
    *,
    top: int = 5,
) -> list[VariantScores | VariantProblem]:
    """Every variant's scores, or its problem, in the order given.

    ``line_processes`` maps a basis (``"location_based"``, ``"market_based"``) to the
    supplier-specific process each base BOM line position uses; variants keep them unless they
    substitute or swap that line's material (as :func:`lca.scenarios.compare` does).
    """
    return _Scorer(background, base, line_processes or {}, top).score(variants).rows()


def chunks(
    background: Background,
    base: NormalisedBom,
    variants: Sequence[Variant],
    line_processes: Mapping[str, Mapping[int, ForegroundProcess]] | None = None,
    *,
    size: int = 1000,
    top: int = 5,
) -> Iterator[ScoredColumns]:
    """:func:`score_variants` ``size`` variants at a time, as columns, for answers that
    stream; the chunks share their foregrounds and recycled-content views."""
    scorer = _Scorer(background, base, line_processes or {}, top)
    for start in range(0, len(variants), size):
        yield scorer.score(variants[start : start + size])


class _Scorer:
    """Scores variants of one base BOM, keeping what later calls can reuse: the foregrounds
    built (in the template) and the background view of each set of recycled shares."""

    def __init__(
        self,
        background: Background,
        base: NormalisedBom,
        line_processes: Mapping[str, Mapping[int, ForegroundProcess]],
        top: int,
    ) -> None:
        self.background = background
        self.template = _Template(base, line_processes)
        self.top = top
        self._views: dict[tuple[tuple[str, float], ...], Background | ScenarioError] = {}
        # Foregrounds already priced, per background view: a later chunk of a streamed answer
        # takes their figures instead of pricing the same few foregrounds again.
        self._priced: dict[tuple[tuple[str, float], ...], _Priced] = {}

    def _view(self, shares: tuple[tuple[str, float], ...]) -> Background:
        view = self._views.get(shares)
        if view is None:
            try:
                view = with_recycled_content(self.background, dict(shares))
            except ScenarioError as exc:
                view = exc
            self._views[shares] = view
        if isinstance(view, ScenarioError):
            raise view
        return view

    def score(self, variants: Sequence[Variant]) -> ScoredColumns:
        background, top = self.background, self.top
        count = len(variants)
        figures = np.zeros((6, count))
        tops: list[tuple[Contributor, ...]] = [()] * count
        problems: dict[int, VariantProblem] = {}
        groups: dict[tuple[tuple[str, float], ...], list[_Member]] = defaultdict(list)
        for index, variant in enumerate(variants):
            try:
                if variant.bom is None:
                    foreground = self.template.foreground(background, variant)
                else:
                    foreground = _whole_bom(background, variant)
            except ScenarioError as exc:
                problems[index] = VariantProblem(variant.key, ("scenario",), str(exc))
                continue
            shares = tuple(sorted(variant.scenario.recycled_share.items()))
            groups[shares].append((index, variant.key, foreground))
        for shares, members in groups.items():
            try:
                view = self._view(shares)
            except ScenarioError as exc:
                for index, key, _ in members:
                    problems[index] = VariantProblem(key, ("scenario", "recycled_share"), str(exc))
                continue
            priced = self._priced.setdefault(shares, _Priced())
            fresh = [member for member in members if id(member[2]) not in priced.slots]
            if fresh:
                try:
                    scored = [_score_group(view, fresh, top)]
                except ScenarioError:
                    # A material the background lacks: find which variants name it, score the
                    # rest.
                    scored = []
                    for member in fresh:
                        try:
                            scored.append(_score_group(view, [member], top))
                        except ScenarioError as exc:
                            problems[member[0]] = VariantProblem(member[1], ("bom",), str(exc))
                for group in scored:
                    priced.add(group)
            taken = [m for m in members if id(m[2]) in priced.slots]
            if taken:
                indices = np.array([index for index, _, _ in taken], dtype=np.int64)
                slots = [priced.slots[id(foreground)] for _, _, foreground in taken]
                figures[:, indices] = np.array(priced.figures).T[:, slots]
                for index, slot in zip(indices.tolist(), slots, strict=True):
                    tops[index] = priced.tops[slot]
        per_cell, per_kwh, market, market_per_kwh, gwp20, energy = figures
        return ScoredColumns(
            [v.key for v in variants],
            per_cell,
            per_kwh,
            market,
            market_per_kwh,
            gwp20,
            energy,
            top=tops,
            problems=problems,
        )


class _Priced:
    """The figures of the foregrounds priced so far in one background view, by slot: each
    foreground's six figures (the columns of :class:`ScoredColumns`) and contributors. The
    foregrounds are kept, so that their ids stay theirs while they are here."""

    def __init__(self) -> None:
        self.slots: dict[int, int] = {}  # id(foreground) → slot
        self.foregrounds: list[_Foreground] = []
        self.figures: list[np.ndarray] = []
        self.tops: list[tuple[Contributor, ...]] = []

    def add(self, group: _ScoredGroup) -> None:
        for row, foreground in enumerate(group.foregrounds):
            if id(foreground) not in self.slots:
                self.slots[id(foreground)] = len(self.foregrounds)
                self.foregrounds.append(foreground)
                self.figures.append(group.figures[:, row])
                self.tops.append(group.tops[row])


@dataclass
class _Foreground:
    """A foreground as products per input, location- and market-based; variants with the same
    changes share one (and so, within a background view, one pricing)."""

    energy_kwh: float
    labels: Sequence[str]
    amounts: np.ndarray
    products: dict[str, list[str]]  # basis → product or process code per input
    processes: dict[str, ForegroundProcess]


# (request index, key, foreground) of one variant in a group of one background view.
_Member = tuple[int, str, _Foreground]


class _Template:
    """The base BOM's inputs, once; a scenario only changes which product each input names."""

    def __init__(
        self,
        base: NormalisedBom,
        line_processes: Mapping[str, Mapping[int, ForegroundProcess]],
    ) -> None:
        inputs = base.foreground_inputs()
        self.energy_kwh = base.nominal_energy_kwh
        self.labels = [item.label for item in inputs]
        self.amounts = np.asarray([item.amount for item in inputs])
        self.materials = [item.product for item in inputs]
        self.n_lines = len(base.lines)
        # Plant electricity: the first input after the BOM lines that names the grid activity.
        self.electricity = next(
            (
                i
                for i in range(self.n_lines, len(inputs))
                if inputs[i].product == base.electricity_product
            ),
            None,
        )
        # Plant heat: the input after the BOM lines that names the region's gas burned.
        self.heat = next(
            (i for i in range(self.n_lines, len(inputs)) if inputs[i].product == base.heat_product),
            None,
        )
        self.line_materials = frozenset(line.material for line in base.lines)
        self.processes = {basis: dict(line_processes.get(basis, {})) for basis in BASES}
        # Foregrounds by their changes: a design space repeats few changes over many variants
        # (regions × substitutions × suppliers, each under several recycled shares).
        self._built: dict[tuple[object, ...], _Foreground] = {}
        # The same, by the identity of a variant's scenario and market swaps, which the
        # variants of a batch with equal changes share: no signature to build per variant.
        # The objects are kept with their foreground, so that their ids stay theirs.
        self._by_identity: dict[tuple[int, int], tuple[object, object, _Foreground]] = {}

    def foreground(self, background: Background, variant: Variant) -> _Foreground:
        """The variant's products per input (as :func:`lca.scenarios.compare` applies a
        scenario: substitutions in order, then the grid region, then supplier swaps; a line
        keeps its supplier data unless its material was substituted or its supplier swapped)."""
        scenario = variant.scenario
        identity = (id(scenario), id(variant.market_swaps))
        known = self._by_identity.get(identity)
        if known is not None and known[0] is scenario and known[1] is variant.market_swaps:
            return known[2]
        signature = (
            scenario.grid_region,
            tuple(scenario.substitutions.items()),
            tuple((m, p.code) for m, p in scenario.supplier_swaps.items()),
            tuple((m, p.code) for m, p in variant.market_swaps.items()),
        )
        built = self._built.get(signature)
        if built is None:
            built = self._built[signature] = self._build(background, variant)
        self._by_identity[identity] = (scenario, variant.market_swaps, built)
        return built

    def _build(self, background: Background, variant: Variant) -> _Foreground:
        scenario = variant.scenario
        check_scenario(background, self.line_materials, scenario)
        materials = list(self.materials)
        substituted: set[int] = set()
        for old, new in scenario.substitutions.items():
            for i in range(self.n_lines):
                if materials[i] == old:
                    materials[i] = new
                    substituted.add(i)
        if scenario.grid_region is not None and self.electricity is not None:
            materials[self.electricity] = background.grid_regions[scenario.grid_region].activity
        if scenario.grid_region is not None and self.heat is not None:
            materials[self.heat] = plant_heat_product(background, scenario.grid_region)
        swaps = {
            "location_based": scenario.supplier_swaps,
            "market_based": {**scenario.supplier_swaps, **variant.market_swaps},
        }
        products: dict[str, list[str]] = {}
        processes: dict[str, ForegroundProcess] = {}
        for basis in BASES:
            chosen = list(materials)
            for position, process in self.processes[basis].items():
                if position not in substituted:
                    chosen[position] = process.code
                    processes[process.code] = process
            for i in range(self.n_lines):
                swap = swaps[basis].get(materials[i])
                if swap is not None:
                    chosen[i] = swap.code
                    processes[swap.code] = swap
            products[basis] = chosen
        return _Foreground(self.energy_kwh, self.labels, self.amounts, products, processes)


def _whole_bom(background: Background, variant: Variant) -> _Foreground:
    """A variant that is a whole other BOM (no supplier data of the base's lines)."""
    assert variant.bom is not None
    return _Template(variant.bom, {}).foreground(background, variant)


@dataclass(frozen=True)
class _ScoredGroup:
    """The distinct foregrounds of a group, scored: ``figures`` (the six columns of
    :class:`ScoredColumns` × foreground), and which foreground row each member (by its index
    in the run) takes."""

    indices: np.ndarray
    rows: np.ndarray
    figures: np.ndarray
    tops: list[tuple[Contributor, ...]]
    foregrounds: list[_Foreground]


def _score_group(view: Background, members: list[_Member], top: int) -> _ScoredGroup:
    """Score the distinct foregrounds of ``members`` as rows of one sparse product; each
    member then takes its foreground's figures (same inputs, same view: same numbers)."""
    engine = view.engine
    n_products = len(engine.product_ids)
    distinct: dict[int, int] = {}  # id(foreground) → its row
    foregrounds: list[_Foreground] = []
    rows_of_members = np.empty(len(members), dtype=np.int64)
    for number, (_, _, foreground) in enumerate(members):
        row = distinct.get(id(foreground))
        if row is None:
            row = distinct[id(foreground)] = len(foregrounds)
            foregrounds.append(foreground)
        rows_of_members[number] = row
    extra: dict[str, int] = {}
    extra_rows: list[np.ndarray] = []
    for foreground in foregrounds:
        for code, process in foreground.processes.items():
            if code not in extra:
                extra[code] = n_products + len(extra)
                extra_rows.append(process_row(view, process))
    unit_scores = np.vstack([engine.unit_scores, *extra_rows]) if extra_rows else engine.unit_scores
    columns: dict[str, int] = dict(extra)

    def column(product: str) -> int:
        found = columns.get(product)
        if found is None:
            if product not in view.products:
                raise ScenarioError(f"material '{product}' is not in the background")
            found = columns[product] = engine.product_index[view.product(product).brightway_id]
        return found

    # Inputs padded to the longest foreground of the group (amount 0 in column 0).
    width = max(len(f.amounts) for f in foregrounds)
    count = len(foregrounds)
    cols = np.zeros((len(BASES), count, width), dtype=np.int64)
    amounts = np.zeros((count, width))
    for number, foreground in enumerate(foregrounds):
        n = len(foreground.amounts)
        amounts[number, :n] = foreground.amounts
        for b, basis in enumerate(BASES):
            cols[b, number, :n] = [column(p) for p in foreground.products[basis]]
    rows = np.repeat(np.arange(len(BASES) * count), width)
    demand = sp.csr_matrix(
        (np.tile(amounts.ravel(), len(BASES)), (rows, cols.ravel())),
        shape=(len(BASES) * count, unit_scores.shape[0]),
    )
    totals = np.asarray(demand @ unit_scores).reshape(len(BASES), count, -1)
    # Location-based line scores (GWP100) and each foreground's largest ones, as plain lists.
    line_scores = amounts * unit_scores[cols[0], _GWP100]
    order = np.argsort(-np.abs(line_scores), axis=1, kind="stable")[:, :top]
    location = totals[0, :, _GWP100]
    market = totals[1, :, _GWP100]
    energy = np.array([foreground.energy_kwh for foreground in foregrounds])
    top_scores = np.take_along_axis(line_scores, order, axis=1).tolist()
    tops = [
        _contributors(foreground, order_row, scores, total)
        for foreground, order_row, scores, total in zip(
            foregrounds, order.tolist(), top_scores, location.tolist(), strict=True
        )
    ]
    # Per kWh as the division of each figure (IEEE division: the same number per element).
    figures = np.stack(
        [location, location / energy, market, market / energy, totals[0, :, _GWP20], energy]
    )
    indices = np.array([index for index, _, _ in members], dtype=np.int64)
    return _ScoredGroup(indices, rows_of_members, figures, tops, foregrounds)


def _contributors(
    foreground: _Foreground, order: list[int], scores: list[float], total: float
) -> tuple[Contributor, ...]:
    """The largest lines of one foreground (location-based), shared by its variants."""
    location = foreground.products["location_based"]
    return tuple(
        Contributor(
            label=foreground.labels[i],
            product=(
                foreground.processes[location[i]].product
                if location[i] in foreground.processes
                else location[i]
            ),
            kg_co2e=score,
            share=score / total if total else 0.0,
        )
        for i, score in zip(order, scores, strict=True)
        if i < len(location)
    )
