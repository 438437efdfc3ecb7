from __future__ import annotations

import pytest

from lca.units import UnitError, convert, parse_quantity


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("165 g", "kg", 0.165),
        ("1 lb", "kg", 0.45359237),
        ("0.002 t", "kg", 2.0),
        ("0.9 kWh", "kWh", 0.9),
        ("3.6 MJ", "kWh", 1.0),
        ("1 MMBtu", "MJ", 1055.05585262),
        ("1 therm", "MJ", 105.505585262),  # 100,000 Btu (IT), as the US EPA counts it
        ("2 GJ", "MJ", 2000.0),
        ("60 Ah", "Ah", 60.0),
        ("10 tkm", "t*km", 10.0),
    ],
)
def test_conversions(text: str, unit: str, expected: float) -> None:
    assert convert(parse_quantity(text), unit) == pytest.approx(expected, rel=1e-6)


def test_volume_becomes_mass_through_density() -> None:
    assert convert(parse_quantity("80 mL"), "kg", density_kg_per_l=1.25) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("12 kWh", "kg", "is a energy; expected a mass"),
        ("80 mL", "kg", "no density is known"),
        ("5 furlongs_per_fortnight", "kg", "not a quantity"),
        ("12", "kg", "has no unit"),
        ("nan kg", "kg", "not a finite number"),
        ("inf kg", "kg", "not a finite number"),
        ("", "kg", "expected a quantity"),
    ],
)
def test_bad_quantities_say_why(text: str, unit: str, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        convert(parse_quantity(text), unit)
