"""The unit converter behind the supplier forms: a quantity as typed, shown in the unit the
service stores (``'2.4 GWh'`` → ``'= 2,400,000 kWh'``), or why it cannot be read.

It converts as the supplier service does: a fuel by its heating value (energy, volume or mass
of that fuel, HHV or LHV), a material in its catalogue unit (by density where it has one), and
every value checked against the same plausible range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from lca.background import Background
from lca.fuels import fuel_energy_mj
from lca.ranges import PLAUSIBLE_RANGES, range_problem
from lca.units import UnitError, convert, parse_quantity

# The plausible-range kinds of an energy report's quantities.
CONVERTIBLE = (
    "site.output",
    "site.electricity",
    "site.fuel",
    "site.heat",
    "site.process_emission",
    "site.material",
    "site.supplier_specific_rate",
)


def plain_number(value: float, significant: int = 6) -> str:
    """``value`` to ``significant`` digits without an exponent: 2400000.0 → ``'2,400,000'``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, significant - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def canonical_text(
    kind: str,
    text: str,
    context: Mapping[str, str] | None = None,
    background: Background | None = None,
) -> tuple[str, bool]:
    """``text`` in the stored unit of ``kind``, or why it cannot be read; the flag says whether
    it could. ``context`` names the row's ``fuel`` and ``basis``, or its ``material``."""
    context = context or {}
    if not text.strip():
        return "", True
    unit = PLAUSIBLE_RANGES[kind].unit
    suffix = ""
    try:
        if kind == "site.fuel":
            fuel = context.get("fuel") or "natural_gas"
            basis = context.get("basis") or None
            value = fuel_energy_mj(text, fuel, basis)
            suffix = f" (LHV, {fuel.replace('_', ' ')})"
        elif kind == "site.material":
            product = background.products.get(context.get("material", "")) if background else None
            if product is None:
                return "choose the material first", False
            unit = product.unit
            value = convert(parse_quantity(text), unit, density_kg_per_l=product.density_kg_per_l)
        else:
            value = convert(parse_quantity(text), unit)
    except (UnitError, KeyError, ValueError) as exc:
        return str(exc).strip("'\""), False
    if value < 0:
        return f"must not be negative (got '{text}')", False
    problem = range_problem(kind, value, unit)
    if problem:
        return problem, False
    return f"= {plain_number(value)} {unit}{suffix}", True
