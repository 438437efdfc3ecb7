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
import re
from dataclasses import dataclass
from typing import Any, Final

import pint

from lca.errors import InputError

ureg: Final[pint.UnitRegistry] = pint.UnitRegistry(cache_folder=None)
pint.set_application_registry(ureg)
# Energy-market units Pint lacks: MMBtu is one million (international table) Btu, as the US EPA
# and EIA use it; freight is counted in tonne-kilometres.
ureg.define("MMBtu = 1e6 * Btu")
ureg.define("tkm = tonne * kilometer")

CANONICAL_UNITS: Final[tuple[str, ...]] = ("kg", "kWh", "MJ", "t*km", "m^2")


class UnitError(InputError):
    """A quantity could not be parsed or does not have the dimension that was asked for."""


@dataclass(frozen=True)
class Amount:
    """A quantity converted to a canonical unit."""

    value: float
    unit: str


# The grammar of a quantity, which Pint is only ever handed in parts:
#
#     quantity  = [sign] number [spaces] units
#     number    = digits ["." digits] | "." digits, then optionally ("e" | "E") [sign] digits
#     units     = term {[spaces] ("*" | "/") [spaces] term}
#     term      = name [("^" | "**") [sign] digit | superscript]   (m^3, m**3, m³, s⁻¹)
#     name      = a letter (or µ, μ, °, Ω, _) followed by letters, ASCII digits or "_"
#
# The number is read by ``float`` and each unit name by Pint's registry, so nothing is ever
# evaluated as arithmetic: Pint's own parser would compute "9**9**8 kg" on Python integers and
# hold the interpreter for minutes. Digits are ASCII only ("٣ kg" is not a number here). Every
# regular expression below matches a run of one character class, so scanning is linear in the
# length of the text, and the text is capped in length before any scanning.
MAX_QUANTITY_LENGTH: Final = 200
MAX_UNIT_TERMS: Final = 8
MAX_UNIT_EXPONENT: Final = 4  # m^3 is the largest a CellCarbon quantity needs; 4 leaves room
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)(?![A-Za-z0-9_])", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]*")
_NAME = re.compile(r"[A-Za-z_µμ°Ω][A-Za-z0-9_]*")
_OPERATOR = re.compile(r"\*\*|[*/^]")
_EXPONENT = re.compile(r"[+-]?[0-9]+")
_SUPERSCRIPT = re.compile("\u207b?[\u00b9\u00b2\u00b3\u2074]")  # ⁻ and ¹ ² ³ ⁴
_SUPERSCRIPT_VALUES: Final = {"\u00b9": 1, "\u00b2": 2, "\u00b3": 3, "\u2074": 4}


def parse_quantity(text: str) -> pint.Quantity:
    """Parse ``"165 g"`` into a Pint quantity; a bare number is rejected (a unit is required).

    Only a decimal number followed by a unit expression is accepted (see the grammar above):
    ``"2**10 kg"``, ``"kg"`` and ``"1e3"`` are :class:`UnitError`\\ s.
    """
    if not isinstance(text, str) or not text.strip():
        raise UnitError("expected a quantity with a unit, such as '165 g'")
    stripped = text.strip()
    if len(stripped) > MAX_QUANTITY_LENGTH:
        raise UnitError(f"a quantity has at most {MAX_QUANTITY_LENGTH} characters")
    shown = stripped if len(stripped) <= 40 else stripped[:40] + "…"
    if _NOT_FINITE.match(stripped):
        raise UnitError(f"'{shown}' is not a finite number")
    number = _NUMBER.match(stripped)
    if number is None:
        raise UnitError(
            f"'{shown}' is not a quantity: it must start with a decimal number, such as '165 g'"
        )
    magnitude = float(number.group())
    if not math.isfinite(magnitude):
        raise UnitError(f"'{shown}' is not a finite number")
    position = _SPACES.match(stripped, number.end()).end()  # type: ignore[union-attr]
    if position == len(stripped):
        raise UnitError(f"'{shown}' has no unit; write it as e.g. '{shown} kg'")
    units = _parse_units(stripped, position, shown)
    if units.dimensionless and str(units) == "dimensionless":
        raise UnitError(f"'{shown}' has no unit; write it as e.g. '{shown} kg'")
    return ureg.Quantity(magnitude, units)


def _parse_units(text: str, position: int, shown: str) -> pint.Unit:
    """The unit expression of ``text`` from ``position`` on, built term by term, left to right."""
    units: pint.Unit | None = None
    operator = "*"
    terms = 0
    while True:
        name = _NAME.match(text, position)
        if name is None:
            raise UnitError(
                f"'{shown}' is not a quantity: expected a unit name at character {position + 1}"
                " (a quantity is a decimal number and a unit, not an expression)"
            )
        terms += 1
        if terms > MAX_UNIT_TERMS:
            raise UnitError(f"'{shown}' has more than {MAX_UNIT_TERMS} units in its expression")
        try:
            term: Any = ureg.parse_units(name.group())
        except Exception as exc:  # Pint raises UndefinedUnitError, and others on odd names
            raise UnitError(
                f"'{shown}' is not a quantity Pint understands ({exc or 'unparsable'})"
            ) from None
        position = name.end()
        superscript = _SUPERSCRIPT.match(text, position)
        if superscript is not None:
            power_of = _SUPERSCRIPT_VALUES[superscript.group()[-1]]
            term = term ** (-power_of if len(superscript.group()) == 2 else power_of)
            position = superscript.end()
        power = None if superscript else _OPERATOR.match(text, position)
        if power is not None and power.group() in ("^", "**"):
            exponent = _EXPONENT.match(text, power.end())
            digits = exponent.group().lstrip("+-") if exponent else ""
            if exponent is None or len(digits) > 1 or int(digits) > MAX_UNIT_EXPONENT:
                raise UnitError(
                    f"'{shown}': a unit's exponent must be a whole number from "
                    f"-{MAX_UNIT_EXPONENT} to {MAX_UNIT_EXPONENT}"
                )
            term = term ** int(exponent.group())
            position = exponent.end()
        units = term if units is None else (units * term if operator == "*" else units / term)
        position = _SPACES.match(text, position).end()  # type: ignore[union-attr]
        if position == len(text):
            return units
        following = _OPERATOR.match(text, position)
        if following is None or following.group() not in ("*", "/"):
            raise UnitError(
                f"'{shown}' is not a quantity: unexpected '{text[position]}' at character "
                f"{position + 1}; units are joined with '*' or '/'"
            )
        operator = following.group()
        position = _SPACES.match(text, following.end()).end()  # type: ignore[union-attr]


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
