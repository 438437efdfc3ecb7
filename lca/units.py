"""The one Pint registry of the process, and conversion of quantities to canonical units.

Canonical units inside CellCarbon (every quantity past the boundary is in one of these):

=============  ==========  ===========================================
dimension      unit        used for
=============  ==========  ===========================================
mass           ``kg``      materials
energy         ``kWh``     electricity (and any energy a product is counted in kWh)
energy         ``MJ``      heat and fuels
transport      ``t*km``    freight
area           ``m^2``     sheet goods counted by area
=============  ==========  ===========================================

A product's reference unit decides which canonical unit its amounts are expressed in; the two
energy units differ only in scale, which Pint handles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import pint

ureg: Final[pint.UnitRegistry] = pint.UnitRegistry(cache_folder=None)
pint.set_application_registry(ureg)
# Energy-market units Pint lacks: MMBtu is one million (international table) Btu, as the US EPA
# and EIA use it; freight is counted in tonne-kilometres.
ureg.define("MMBtu = 1e6 * Btu")
ureg.define("tkm = tonne * kilometer")

CANONICAL_UNITS: Final[tuple[str, ...]] = ("kg", "kWh", "MJ", "t*km", "m^2")


class UnitError(ValueError):
    """A quantity could not be parsed or does not have the dimension that was asked for."""


@dataclass(frozen=True)
class Amount:
    """A quantity converted to a canonical unit."""

    value: float
    unit: str


def parse_quantity(text: str) -> pint.Quantity:
    """Parse ``"165 g"`` into a Pint quantity; a bare number is rejected (a unit is required)."""
    if not isinstance(text, str) or not text.strip():
        raise UnitError("expected a quantity with a unit, such as '165 g'")
    try:
        quantity: pint.Quantity = ureg.Quantity(text.strip())
    except Exception as exc:  # Pint's parser raises many kinds (even AssertionError) on junk
        raise UnitError(
            f"'{text}' is not a quantity Pint understands ({exc or 'unparsable'})"
        ) from None
    if not isinstance(quantity, pint.Quantity):
        raise UnitError(f"'{text}' has no unit; write it as e.g. '{text} kg'")
    if quantity.dimensionless and str(quantity.units) == "dimensionless":
        raise UnitError(f"'{text}' has no unit; write it as e.g. '{text} kg'")
    magnitude = float(quantity.magnitude)
    if not math.isfinite(magnitude):
        raise UnitError(f"'{text}' is not a finite number")
    return quantity


def dimension_name(unit: str) -> str:
    """A readable name of the dimension of ``unit`` (``'mass'``, ``'energy'``, …)."""
    dims = ureg.Quantity(1, unit).dimensionality
    for name, probe in _NAMED_DIMENSIONS:
        if dims == ureg.Quantity(1, probe).dimensionality:
            return name
    return str(dims)


_NAMED_DIMENSIONS: Final = (
    ("mass", "kg"),
    ("energy", "kWh"),
    ("volume", "L"),
    ("mass × distance", "t*km"),
    ("area", "m^2"),
    ("electric charge", "Ah"),
    ("electric potential", "V"),
)


def convert(
    quantity: pint.Quantity, target_unit: str, *, density_kg_per_l: float | None = None
) -> float:
    """Convert ``quantity`` to ``target_unit``; a volume becomes a mass through the density.

    Raises :class:`UnitError` with a message naming both dimensions when they do not match.
    """
    target = ureg.Unit(target_unit)
    if quantity.check(target.dimensionality):
        return float(quantity.to(target).magnitude)
    if density_kg_per_l is not None and quantity.check("[volume]") and target_unit == "kg":
        return float(quantity.to("L").magnitude * density_kg_per_l)
    given = dimension_name(str(quantity.units))
    wanted = dimension_name(target_unit)
    hint = ""
    if quantity.check("[volume]") and target_unit == "kg":
        hint = " and no density is known for it"
    raise UnitError(f"'{quantity:~P}' is a {given}; expected a {wanted} ({target_unit}){hint}")
