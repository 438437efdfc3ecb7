"""Physically plausible ranges of every quantity a client gives, in canonical units.

A quantity outside its range is refused before anything is stored: a finite float can still be
absurd (``1e308 t`` of cathode) and overflow to infinity in the first product it meets, or be so
small that a division by it does (``1e-300 Ah × 1e-300 V`` is an energy of 0). The ranges are
checked after conversion to the canonical unit, so ``'2000000 g'`` and ``'2 t'`` meet the same
bound. They are deliberately generous: each bound lies at least an order of magnitude beyond
the largest (or smallest) real case named in its comment, so no real cell, plant or supplier site
is refused; they exist to keep the arithmetic finite, not to judge data quality.

With these bounds every derived figure stays finite: the largest cell energy is
5000 Ah × 10 V = 50 kWh and the smallest 0.005 Ah × 0.5 V = 2.5e-6 kWh, so kg CO2e per kWh is at
most ~1e12 × 4e5 — far inside a float. Supplier per-kg figures divide at most 1e12 MJ by 1 kg.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    unit: str
    low_inclusive: bool = True

    def problem(self, value: float) -> str | None:
        """Why ``value`` (in :attr:`unit`) is outside the range, or ``None`` when it is inside."""
        if not math.isfinite(value):
            # Only an overflow in the conversion gets here (the parser refuses inf and nan).
            return f"is far outside the plausible range: expected {self.describe()}"
        if value == 0 and (self.low > 0 or not self.low_inclusive):
            return f"must be greater than zero; expected {self.describe()}"
        too_low = value < self.low or (not self.low_inclusive and value == self.low)
        if too_low or value > self.high:
            shown = f"{value:g} {self.unit}".strip()
            return f"{shown} is outside the plausible range: expected {self.describe()}"
        return None

    def describe(self) -> str:
        if self.low == 0 and not self.low_inclusive:
            return f"more than 0 and at most {self.high:g} {self.unit}"
        return f"{self.low:g} to {self.high:g} {self.unit}"


PLAUSIBLE_RANGES: Final[dict[str, Range]] = {
    # --- a cell ---------------------------------------------------------------------------
    # Small Li-ion coin and pin cells hold ~10 mAh; the largest stationary-storage prismatic
    # cells on sale hold ~600-1200 Ah (CATL, EVE 2024-25 datasheets).
    "cell.nominal_capacity": Range(0.005, 5000.0, "Ah"),
    # LTO cells run at 2.3-2.4 V, LFP 3.2 V, NMC/NCA 3.6-3.7 V, LNMO 4.7 V; a bipolar stack
    # in one casing can reach a few cells' voltage. Sodium-ion cells sit near 3 V.
    "cell.nominal_voltage": Range(0.5, 10.0, "V"),
    # Derived capacity × voltage; follows from the two ranges above and is checked anyway.
    "cell.nominal_energy": Range(2.5e-6, 50.0, "kWh"),
    # A 10 mAh coin cell weighs ~1 g; a 1000 Ah prismatic cell ~20 kg.
    "cell.mass": Range(1e-4, 200.0, "kg"),
    # --- one BOM line, per cell, by the material's canonical unit --------------------------
    # No material can weigh more than the heaviest cell; 1 µg is below any weighed component.
    "line.kg": Range(1e-9, 200.0, "kg"),
    # A separator of a 1000 Ah cell is ~50 m²; electrode foils similar.
    "line.m^2": Range(1e-9, 1000.0, "m^2"),
    "line.kWh": Range(1e-9, 10_000.0, "kWh"),
    "line.MJ": Range(1e-9, 36_000.0, "MJ"),
    # 200 kg carried 50,000 km (more than once round the Earth) is 10,000 t·km.
    "line.t*km": Range(1e-9, 10_000.0, "t*km"),
    # Any other reference unit a background product may be counted in.
    "line.other": Range(1e-9, 1e6, ""),
    # --- the cell plant, per cell ---------------------------------------------------------
    # Degen et al. (2023, Nature Energy) put cell production at 20-100 kWh per kWh of cell in
    # today's plants and early pilot lines; 50 kWh × 100 kWh/kWh is 5000 kWh. Heat likewise.
    "plant.electricity_per_cell": Range(0.0, 10_000.0, "kWh"),
    "plant.heat_per_cell": Range(0.0, 36_000.0, "MJ"),
    # --- plant meter data (app/plants) -----------------------------------------------------
    # One interval of one meter: a 1 GW site metered hourly uses 1e6 kWh (3.6e6 MJ) an hour;
    # 1e12 in kWh or MJ is far beyond any real interval. Negative intervals are allowed here:
    # the quality check drops and reports them.
    "plant.meter_interval": Range(-1e12, 1e12, ""),
    # Hourly grid averages stay below ~1.2-1.4 kg CO2e/kWh even on lignite (IPCC AR5 WG3
    # Annex III Table A.III.2); 10 is an order of magnitude beyond.
    "plant.grid_factor": Range(0.0, 10.0, "kg CO2e/kWh"),
    # Cells in one lot: a gigafactory line makes a few million cells a month; 1e9 is far beyond.
    "plant.lot_cells": Range(0.0, 1e9, "cells"),
    # An instrument's kWh in one hour: 1e8 kWh is a 100 GW generator running a full hour.
    "plant.instrument_kwh": Range(0.0, 1e8, "kWh"),
    # --- a supplier site's report (one period, often a month, at most a few years) --------
    # The largest single industrial sites (aluminium smelters) use ~10-20 TWh a year.
    "site.electricity": Range(0.0, 1e11, "kWh"),
    # ~40 PJ/year covers a large integrated steel works; 1e12 MJ (1 EJ) is far beyond.
    "site.fuel": Range(0.0, 1e12, "MJ"),
    "site.heat": Range(0.0, 1e12, "MJ"),
    # Mt-scale process emissions of the largest plants; 1e11 kg is 100 Mt.
    "site.process_emission": Range(0.0, 1e11, "kg"),
    # Material inputs in the material's canonical unit (kg, kWh, MJ, m², t·km).
    "site.material": Range(0.0, 1e12, ""),
    # Output of one period: a site making less than 1 kg is not a production site, and
    # 1e11 kg (100 Mt) exceeds any plant's yearly output.
    "site.output": Range(1.0, 1e11, "kg"),
    # Coal plants emit ~1.0 kg CO2e/kWh, lignite ~1.2-1.4 (IPCC AR5 WG3 Annex III Table A.III.2).
    "site.supplier_specific_rate": Range(0.0, 2.0, "kg/kWh"),
    # --- supplier PCF imports (PACT): kg CO2e per kg of product -----------------------------
    # Biogenic uptake can make a PCF negative (wood ~ -1.6); platinum-group metals reach
    # ~3e4 kg CO2e/kg (Nuss & Eckelman 2014, PLoS ONE). A declared unit is at most 1e9 units.
    "pcf.kg_co2e_per_kg": Range(-100.0, 1e6, "kg CO2e/kg"),
    "pcf.declared_unit_amount": Range(0.0, 1e9, "", low_inclusive=False),
    # --- use phase in reports -------------------------------------------------------------
    # A functional unit of less than half a year or one cycle a year divides by almost nothing.
    "use.service_years": Range(0.5, 50.0, "years"),
    "use.full_equivalent_cycles_per_year": Range(1.0, 10_000.0, "cycles/year"),
}


def range_problem(kind: str, value: float, unit: str | None = None) -> str | None:
    """Why ``value`` of ``kind`` is implausible, or ``None``; ``unit`` names a unit-less kind's."""
    bound = PLAUSIBLE_RANGES.get(kind) or PLAUSIBLE_RANGES[kind.split(".")[0] + ".other"]
    if unit is not None and not bound.unit:
        bound = Range(bound.low, bound.high, unit, bound.low_inclusive)
    return bound.problem(value)
