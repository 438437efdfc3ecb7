"""A lot's plant-energy footprint at the hours its energy was used, and aggregates of lots.

:func:`plant_footprint` is the one entry point: plant, readings, lots and the factors → a
:class:`PlantFootprint` holding, per lot, the energy and kg CO2e of every bucket in three methods
(:data:`~lca.plant.factors.METHODS`). Per good cell: scrapped cells' energy and materials are
borne by the good cells of their lot (a lot's totals are divided by its good cells only). The
material part is an input (kg CO2e per cell produced, by cell model, from the footprint engine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import numpy as np

from lca.plant.allocation import Allocation, allocate, bucket_energy, lot_hours
from lca.plant.factors import METHODS, ElectricityFactors, GridInputs, electricity_factors
from lca.plant.lots import Lot
from lca.plant.model import Plant, PlantDataError, Problem, plant_problems
from lca.plant.series import Floats, IntervalSeries, Ints


@dataclass(frozen=True)
class LotFootprint:
    """One lot, per good cell; every split adds up to ``kg_co2e_per_good_cell``."""

    lot_id: str
    cell_model: str
    line: str
    good_cells: int
    scrapped_cells: int
    kg_co2e_per_good_cell: Mapping[str, float]  # method → plant energy + materials
    plant_energy_kg_co2e_per_good_cell: Mapping[str, float]  # method → plant energy only
    material_kg_co2e_per_good_cell: float
    by_area: Mapping[str, Mapping[str, float]]  # method → area kind ("line", "plant", …) → kg
    by_carrier: Mapping[str, Mapping[str, float]]  # method → carrier → kg
    energy_per_good_cell: Mapping[str, float]  # carrier → kWh (electricity) or MJ
    idle_share: Mapping[str, float]  # method → share of plant-energy kg used while idle


@dataclass(frozen=True)
class AggregateRow:
    key: str
    lots: int
    good_cells: int
    kg_co2e: Mapping[str, float]  # method → total kg CO2e (plant energy + materials)
    kg_co2e_per_good_cell: Mapping[str, float]


@dataclass(frozen=True, eq=False)
class PlantFootprint:
    plant: Plant
    lots: tuple[Lot, ...]
    first_hour: int
    hours: int
    allocation: Allocation
    electricity: ElectricityFactors
    material_kg_per_cell: Floats  # per lot, per cell produced (0 when not given)

    @property
    def lots_outside_window(self) -> tuple[str, ...]:
        """Lots that ran partly outside the window: their energy there is not counted, so their
        footprint per good cell is too low until the window covers their whole run."""
        lo, hi = self.first_hour * 3600, (self.first_hour + self.hours) * 3600
        return tuple(lot.lot_id for lot in self.lots if lot.start_s < lo or lot.end_s > hi)

    @property
    def fallback_hours(self) -> Ints:
        """Hours (since the epoch, UTC) priced at the region's annual factor."""
        return self.electricity.fallback_hours

    def metered_total(self, carrier: str) -> float:
        columns = [i for i, b in enumerate(self.allocation.buckets) if b.carrier == carrier]
        return float(self.allocation.metered[columns].sum())

    def allocated_total(self, carrier: str) -> float:
        columns = [i for i, b in enumerate(self.allocation.buckets) if b.carrier == carrier]
        return float(self.allocation.energy[:, columns].sum())

    def unallocated_total(self, carrier: str) -> float:
        columns = [i for i, b in enumerate(self.allocation.buckets) if b.carrier == carrier]
        return float(self.allocation.unallocated[columns].sum())

    def kg_per_good_cell(self) -> Floats:
        """kg CO2e per good cell, plant energy and materials, shape (methods, lots)."""
        good = np.array([lot.good_cells for lot in self.lots], dtype=np.float64)
        cells = np.array([lot.cells for lot in self.lots], dtype=np.float64)
        plant = self.allocation.kg.sum(axis=2) / good
        return np.asarray(plant + self.material_kg_per_cell * cells / good)

    @cached_property
    def _lot_index(self) -> dict[str, int]:
        # a search per lot made a year of 10,000 lots quadratic
        return {lot.lot_id: i for i, lot in enumerate(self.lots)}

    def _grouped(self, key: str) -> tuple[list[str], Floats, Floats]:
        """Bucket columns summed by ``key`` (area kind or carrier), for every lot at once:
        (names, kg of shape (methods, lots, names), energy of shape (lots, names))."""
        values = [getattr(b, key) for b in self.allocation.buckets]
        names = list(dict.fromkeys(values))
        one_hot = np.zeros((len(values), len(names)))
        one_hot[np.arange(len(values)), [names.index(v) for v in values]] = 1.0
        return names, self.allocation.kg @ one_hot, self.allocation.energy @ one_hot

    @cached_property
    def _by_area(self) -> tuple[list[str], Floats, Floats]:
        return self._grouped("area_kind")

    @cached_property
    def _by_carrier(self) -> tuple[list[str], Floats, Floats]:
        # (a loop over buckets for every lot took seconds for a year of 10,000 lots)
        return self._grouped("carrier")

    def lot(self, lot_id: str) -> LotFootprint:
        index = self._lot_index[lot_id]
        lot = self.lots[index]
        good = float(lot.good_cells)
        kg = self.allocation.kg[:, index, :] / good
        idle = self.allocation.idle_kg[:, index, :].sum(axis=1)
        material = float(self.material_kg_per_cell[index]) * lot.cells / good
        area_names, area_kg, _ = self._by_area
        carrier_names, carrier_kg, carrier_energy = self._by_carrier
        energy = {c: float(carrier_energy[index, i] / good) for i, c in enumerate(carrier_names)}
        by_area = {
            method: {a: float(area_kg[m, index, i] / good) for i, a in enumerate(area_names)}
            for m, method in enumerate(METHODS)
        }
        by_carrier = {
            method: {c: float(carrier_kg[m, index, i] / good) for i, c in enumerate(carrier_names)}
            for m, method in enumerate(METHODS)
        }
        plant = {method: float(kg[m].sum()) for m, method in enumerate(METHODS)}
        total_kg = self.allocation.kg[:, index, :].sum(axis=1)
        return LotFootprint(
            lot_id=lot.lot_id,
            cell_model=lot.cell_model,
            line=lot.line,
            good_cells=lot.good_cells,
            scrapped_cells=lot.scrapped_cells,
            kg_co2e_per_good_cell={m: plant[m] + material for m in METHODS},
            plant_energy_kg_co2e_per_good_cell=plant,
            material_kg_co2e_per_good_cell=material,
            by_area=by_area,
            by_carrier=by_carrier,
            energy_per_good_cell=energy,
            idle_share={
                method: float(idle[m] / total_kg[m]) if total_kg[m] else 0.0
                for m, method in enumerate(METHODS)
            },
        )

    def aggregate(self, by: str) -> list[AggregateRow]:
        """Totals and kg CO2e per good cell by ``day``/``month`` (of a lot's end, plant time),
        ``line`` or ``cell_model``."""
        keys = [self._key(lot, by) for lot in self.lots]
        labels, group = np.unique(np.array(keys, dtype=object), return_inverse=True)
        good = np.array([lot.good_cells for lot in self.lots], dtype=np.float64)
        cells = np.array([lot.cells for lot in self.lots], dtype=np.float64)
        kg = self.allocation.kg.sum(axis=2) + self.material_kg_per_cell * cells
        rows = []
        good_sum = np.bincount(group, good, minlength=labels.size)
        lot_count = np.bincount(group, minlength=labels.size)
        totals = [np.bincount(group, kg[m], minlength=labels.size) for m in range(len(METHODS))]
        for g, label in enumerate(labels):
            total = {method: float(totals[m][g]) for m, method in enumerate(METHODS)}
            rows.append(
                AggregateRow(
                    key=str(label),
                    lots=int(lot_count[g]),
                    good_cells=int(good_sum[g]),
                    kg_co2e=total,
                    kg_co2e_per_good_cell={k: float(v / good_sum[g]) for k, v in total.items()},
                )
            )
        return rows

    def _key(self, lot: Lot, by: str) -> str:
        if by == "line":
            return lot.line
        if by == "cell_model":
            return lot.cell_model
        local = datetime.fromtimestamp(lot.end_s - 1, self.plant.zone)
        if by == "day":
            return local.date().isoformat()
        if by == "month":
            return f"{local.year:04d}-{local.month:02d}"
        raise ValueError(f"aggregate by 'day', 'month', 'line' or 'cell_model', not '{by}'")


def plant_footprint(
    plant: Plant,
    series: IntervalSeries,
    lots: Sequence[Lot],
    grid: GridInputs,
    carrier_kg_per_unit: Mapping[str, float],
    *,
    first_hour: int,
    hours: int,
    cell_energy_kwh: Mapping[str, float] | None = None,
    material_kg_per_cell: Mapping[str, float] | None = None,
) -> PlantFootprint:
    """Allocate and price the window ``first_hour`` (hours since the epoch, UTC) + ``hours``.

    ``carrier_kg_per_unit`` prices every carrier but electricity (kg CO2e per MJ). Raises
    :class:`PlantDataError` with every problem at once.
    """
    problems = plant_problems(plant)
    carriers = {m.carrier for m in plant.meters} - {"electricity"}
    for carrier in sorted(carriers - set(carrier_kg_per_unit)):
        problems.append((("carrier_factors", carrier), f"no factor for {carrier}"))
    unknown = sorted(set(series.meter_ids) - {m.meter_id for m in plant.meters})
    for meter_id in unknown:
        problems.append((("readings", meter_id), f"unknown meter '{meter_id}'"))
    problems += _lot_problems(plant, lots, cell_energy_kwh)
    if hours <= 0:
        problems.append((("hours",), "the window must last at least one hour"))
    if problems:
        raise PlantDataError(problems)
    own, readings = bucket_energy(plant, series, first_hour, hours)
    roots = [i for i, m in enumerate(plant.meters) if m.parent is None]
    consumption = sum(
        (readings[i] for i in roots if plant.meters[i].carrier == "electricity"),
        np.zeros(hours),
    )
    electricity = electricity_factors(grid, consumption, first_hour)
    factors: dict[str, Floats] = {"electricity": electricity.kg_per_kwh}
    for carrier in carriers:
        factors[carrier] = np.full((len(METHODS), hours), float(carrier_kg_per_unit[carrier]))
    runs = lot_hours(lots, first_hour, hours)
    allocation = allocate(plant, lots, runs, own, factors, cell_energy_kwh=cell_energy_kwh)
    material = np.array(
        [(material_kg_per_cell or {}).get(lot.cell_model, 0.0) for lot in lots], dtype=np.float64
    )
    return PlantFootprint(plant, tuple(lots), first_hour, hours, allocation, electricity, material)


def _lot_problems(
    plant: Plant, lots: Sequence[Lot], cell_energy_kwh: Mapping[str, float] | None
) -> list[Problem]:
    problems: list[Problem] = []
    if any(area.rule == "cell_energy" for area in plant.areas):
        for index, lot in enumerate(lots):
            if (cell_energy_kwh or {}).get(lot.cell_model, 0.0) <= 0:
                problems.append(
                    (
                        ("lots", index, "cell_model"),
                        f"an area shares energy by cell energy, but no nominal energy is known "
                        f"for cell model '{lot.cell_model}'",
                    )
                )
    lines = {line.line_id for line in plant.lines}
    for index, lot in enumerate(lots):
        if lot.line not in lines:
            problems.append((("lots", index, "line"), f"unknown line '{lot.line}'"))
        if lot.good_cells <= 0:
            problems.append((("lots", index, "good_cells"), "a lot needs good cells"))
    return problems
