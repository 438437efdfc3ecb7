"""A footprint's data quality rating, weighted by contribution (see :mod:`lca.pedigree`).

The PEF method's data quality rating (Commission Recommendation (EU) 2021/2279, Annex I, data
quality requirements: DQR = (TeR + GeR + TiR + P) / 4) of every exchange, from its pedigree, is
weighted by the footprint's sensitivity to that exchange: supply of its activity × its amount ×
the GWP100 unit score of its input (or the characterisation factor of its flow) — the kg CO2e
of the footprint that scale with that one number. Quality levels as the PEF method names them:
≤ 1.5 excellent, ≤ 2 very good, ≤ 3 good, ≤ 4 fair, else poor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lca.background import INDICATORS, Background
from lca.catalogue import DEFAULT_DATA_DIR, Catalogue, load_catalogue
from lca.footprint import ForegroundInput, Processes, primary_score
from lca.pedigree import derive

# Supplier primary data (an energy report: measured at the site, for the period, unverified):
# reliability 2, completeness 2, temporal 1, geographical 1, technological 1 → DQR 1.25. An
# imported PCF brings no pedigree here; it counts as literature data of its year (2, 2, 2, 2).
PRIMARY_DQR = (1 + 1 + 1 + 2) / 4
AGGREGATED_DQR = 2.0
QUALITY_LEVELS = ((1.5, "excellent"), (2.0, "very good"), (3.0, "good"), (4.0, "fair"))


@dataclass(frozen=True)
class DataQualityRating:
    """A footprint's data quality rating, weighted by contribution."""

    dqr: float
    level: str
    rated_kg_co2e: float  # the weight behind it (sum of exchange sensitivities)


def quality_level(dqr: float) -> str:
    for bound, name in QUALITY_LEVELS:
        if dqr <= bound:
            return name
    return "poor"


class ExchangeQuality:
    """DQR of every technosphere and biosphere matrix entry of one background."""

    def __init__(self, background: Background, catalogue: Catalogue) -> None:
        engine = background.engine
        location = {a.code: a.location for a in catalogue.activities}
        flow_rows = {int(f): i for i, f in enumerate(engine.flow_ids)}
        sums: dict[tuple[str, int, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for exchange in catalogue.exchanges:
            if exchange.activity not in background.products:
                continue
            column = engine.activity_index[background.product(exchange.activity).brightway_id]
            if exchange.kind == "technosphere":
                if exchange.input not in background.products:
                    continue
                row = engine.product_index[background.product(exchange.input).brightway_id]
            else:
                flow = background.flows.get(exchange.input)
                if flow is None:
                    continue
                if flow.brightway_id not in flow_rows:
                    continue  # a flow no activity emits has no matrix row
                row = flow_rows[flow.brightway_id]
            weight = abs(exchange.amount) or 1.0
            entry = sums[(exchange.kind, row, column)]
            entry[0] += weight * derive(exchange.source, location.get(exchange.activity, "")).dqr
            entry[1] += weight
        # (row, column) of a matrix entry → amount-weighted DQR of the exchanges summed into it
        self.technosphere = _entries(sums, "technosphere")
        self.biosphere = _entries(sums, "biosphere")
        gwp = INDICATORS.index("gwp100")
        factors = np.asarray(engine.indicators[:, gwp].todense()).ravel()
        # Every rated matrix entry as arrays, so that a rating is a few vector operations per
        # footprint instead of a Python loop over the whole background (it was a seventh of a
        # footprint request's CPU): its column, the kg CO2e one unit of its activity's supply
        # moves (amount × unit score of the input, or × characterisation factor of the flow),
        # and its DQR. Consumption only: production entries (≥ 0) carry no rating.
        technosphere = engine.technosphere.tocoo()
        self._columns, self._per_unit_supply, self._dqr = _rated(
            [
                (column, value * engine.unit_scores[row, gwp], self.technosphere[(row, column)])
                for row, column, value in zip(
                    technosphere.row.tolist(),
                    technosphere.col.tolist(),
                    technosphere.data.tolist(),
                    strict=True,
                )
                if value < 0 and (row, column) in self.technosphere
            ]
            + [
                (column, value * factors[row], self.biosphere[(row, column)])
                for row, column, value in _coo(engine.biosphere)
                if (row, column) in self.biosphere
            ]
        )

    def weights(self, supply: np.ndarray) -> tuple[float, float]:
        """Σ weight × DQR and Σ weight over the rated entries, for this supply vector."""
        weight = np.abs(supply[self._columns] * self._per_unit_supply)
        return float(weight @ self._dqr), float(weight.sum())


def _coo(matrix: Any) -> Iterable[tuple[int, int, float]]:
    coo = matrix.tocoo()
    return zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)


def _rated(
    entries: list[tuple[int, float, float]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    columns = np.array([entry[0] for entry in entries], dtype=np.int64)
    per_unit = np.array([entry[1] for entry in entries], dtype=np.float64)
    dqr = np.array([entry[2] for entry in entries], dtype=np.float64)
    return columns, per_unit, dqr


def _entries(
    sums: Mapping[tuple[str, int, int], list[float]], kind: str
) -> dict[tuple[int, int], float]:
    return {
        (row, column): total / weight
        for (entry_kind, row, column), (total, weight) in sums.items()
        if entry_kind == kind
    }


def rate(
    background: Background,
    quality: ExchangeQuality,
    inputs: Iterable[ForegroundInput],
    processes: Processes | None = None,
) -> DataQualityRating:
    """The contribution-weighted PEF data quality rating of a foreground's footprint."""
    processes = processes or {}
    engine = background.engine
    gwp = INDICATORS.index("gwp100")
    demand: dict[int, float] = defaultdict(float)
    weighted, weights = 0.0, 0.0
    for item in inputs:
        process = processes.get(item.product)
        if process is None:
            demand[background.product(item.product).brightway_id] += item.amount
            continue
        if process.aggregated_row is not None:
            weight = abs(item.amount * process.aggregated_row[gwp])
            weighted, weights = weighted + weight * AGGREGATED_DQR, weights + weight
            continue
        primary = abs(item.amount * primary_score(background, process))
        weighted, weights = weighted + primary * PRIMARY_DQR, weights + primary
        for product, amount in process.inputs:
            if product not in process.primary_inputs:
                demand[background.product(product).brightway_id] += item.amount * amount
    supply = np.asarray(engine.supply(demand), dtype=np.float64)
    background_weighted, background_weights = quality.weights(supply)
    weighted, weights = weighted + background_weighted, weights + background_weights
    dqr = weighted / weights if weights else 5.0
    return DataQualityRating(dqr=float(dqr), level=quality_level(dqr), rated_kg_co2e=float(weights))


_QUALITY: dict[tuple[str, str], ExchangeQuality] = {}


def exchange_quality(background: Background, data_dir: Path = DEFAULT_DATA_DIR) -> ExchangeQuality:
    """The background's exchange ratings, built once per process and background version."""
    key = (background.version, str(data_dir))
    if key not in _QUALITY:
        _QUALITY[key] = ExchangeQuality(background, load_catalogue(data_dir))
    return _QUALITY[key]
