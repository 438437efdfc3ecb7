"""Fuel quantities to energy: Pint contexts built from the cited heating values in data/units.

Every fuel amount inside CellCarbon is MJ of lower heating value (LHV, the IPCC's NCV), the basis
of the background's combustion activities. A report may give a fuel as energy, volume or mass:

* volume or mass → MJ LHV through the fuel's Pint context (``ureg.Quantity(...).to("MJ", ctx)``);
* energy → MJ, and from higher to lower heating value when the basis is HHV. US commercial units
  (therm, MMBtu, Btu) are HHV by convention (US EPA GHG Emission Factors Hub), so they default to
  HHV; joules and watt-hours default to LHV. Either default can be overridden.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pint

from lca.catalogue import DEFAULT_DATA_DIR
from lca.units import UnitError, dimension_name, parse_quantity, ureg

# Fuels a supplier report may name, and the rows of data/units/fuels.csv that describe them.
FUEL_PROPERTIES = {
    "natural_gas": "natural_gas",
    "diesel": "diesel",
    "lpg": "lpg",
    "coal": "coal_bituminous",
    "heavy_fuel_oil": "heavy_fuel_oil",
}
_HHV_UNITS = ("Btu", "therm")
_ENERGY = "[mass] * [length] ** 2 / [time] ** 2"
_lock = threading.Lock()


@dataclass(frozen=True)
class FuelProperties:
    lhv_mj_per_kg: float | None
    lhv_mj_per_m3: float | None
    lhv_over_hhv: float
    context: str  # name of the Pint context


def _table(data_dir: Path) -> dict[str, dict[str, pint.Quantity]]:
    values: dict[str, dict[str, pint.Quantity]] = {}
    with (data_dir / "units" / "fuels.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            values.setdefault(row["fuel"], {})[row["quantity"]] = ureg.Quantity(
                float(row["value"]), row["unit"]
            )
    return values


@lru_cache
def fuel_properties(fuel: str, data_dir: Path = DEFAULT_DATA_DIR) -> FuelProperties:
    """Heating values of ``fuel`` and the name of its Pint context (registered on first use)."""
    if fuel not in FUEL_PROPERTIES:
        raise UnitError(f"unknown fuel '{fuel}'; known: {', '.join(sorted(FUEL_PROPERTIES))}")
    rows = _table(data_dir)[FUEL_PROPERTIES[fuel]]
    per_kg = rows.get("lhv_per_kg")
    per_m3 = rows.get("lhv_per_m3")
    if per_m3 is None and "lhv_per_l" in rows:
        per_m3 = rows["lhv_per_l"]
    if per_m3 is None and per_kg is not None and "density" in rows:
        per_m3 = per_kg * rows["density"]
    properties = FuelProperties(
        lhv_mj_per_kg=float(per_kg.to("MJ/kg").magnitude) if per_kg is not None else None,
        lhv_mj_per_m3=float(per_m3.to("MJ/m^3").magnitude) if per_m3 is not None else None,
        lhv_over_hhv=float(rows["lhv_over_hhv"].to("dimensionless").magnitude),
        context=f"fuel-{fuel}",
    )
    _register(properties)
    return properties


def _register(properties: FuelProperties) -> None:
    with _lock:
        if properties.context in ureg._contexts:
            return
        context = pint.Context(properties.context)
        if properties.lhv_mj_per_m3 is not None:
            context.add_transformation(
                "[length] ** 3", _ENERGY, _scale(ureg.Quantity(properties.lhv_mj_per_m3, "MJ/m^3"))
            )
        if properties.lhv_mj_per_kg is not None:
            context.add_transformation(
                "[mass]", _ENERGY, _scale(ureg.Quantity(properties.lhv_mj_per_kg, "MJ/kg"))
            )
        ureg.add_context(context)


def _scale(factor: pint.Quantity) -> Any:
    def transform(_: Any, value: pint.Quantity, **__: Any) -> pint.Quantity:
        return value * factor

    return transform


def fuel_energy_mj(text: str, fuel: str, basis: str | None = None) -> float:
    """MJ (LHV) in ``text`` of ``fuel`` given as energy, volume or mass (see module docstring)."""
    properties = fuel_properties(fuel)
    quantity = parse_quantity(text)
    if quantity.check("[energy]"):
        hhv_by_default = any(
            unit in str(quantity.units) for unit in ("british_thermal_unit", "therm", "MMBtu")
        )
        chosen = basis or ("HHV" if hhv_by_default or any(u in text for u in _HHV_UNITS) else "LHV")
        if chosen not in ("HHV", "LHV"):
            raise UnitError(f"heating value basis must be 'HHV' or 'LHV', not '{chosen}'")
        energy = float(quantity.to("MJ").magnitude)
        return energy * properties.lhv_over_hhv if chosen == "HHV" else energy
    if quantity.check("[volume]") or quantity.check("[mass]"):
        try:
            return float(quantity.to("MJ", properties.context).magnitude)
        except pint.errors.DimensionalityError:
            pass
    raise UnitError(
        f"'{text}' is a {dimension_name(str(quantity.units))}; a fuel is given as energy"
        f"{', volume' if properties.lhv_mj_per_m3 else ''}"
        f"{' or mass' if properties.lhv_mj_per_kg else ''}"
    )
