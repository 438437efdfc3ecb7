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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2**10 kg", "not an expression"),
        ("9**9**7 kg", "not an expression"),
        ("10**400 kg", "not an expression"),
        ("(2) kg", "must start with a decimal number"),
        ("kg", "must start with a decimal number"),
        ("\u0663 kg", "must start with a decimal number"),  # ARABIC-INDIC DIGIT THREE
        ("1e400 kg", "not a finite number"),
        ("-Infinity kg", "not a finite number"),
        ("1 kg^9", "exponent must be a whole number from -4 to 4"),
        ("1 kg^99999999", "exponent must be a whole number from -4 to 4"),
        ("1 kg**2**9", "unexpected '\\*'"),
        ("1 kg kg", "joined with '\\*' or '/'"),
        ("1 " + "*".join(["m"] * 9), "more than 8 units"),
        ("1 " + "k" * 300, "at most 200 characters"),
    ],
)
def test_a_quantity_is_a_number_and_a_unit_not_an_expression(text: str, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("165g", "kg", 0.165),
        ("+.5 kg", "kg", 0.5),
        ("1.2E6 m^3", "m^3", 1.2e6),
        ("2 m**3", "L", 2000.0),
        ("1026 Btu / ft^3", "MJ/m^3", 38.2256),  # the EIA heat content of US natural gas
        ("1 kg/m^2/s", "kg/(m^2*s)", 1.0),  # left to right, as Pint and Python read it
        ("0.45 kg/kWh", "kg/kWh", 0.45),
        ("1.2e6 m\u00b3", "m^3", 1.2e6),  # superscripts, as meters and bills print them
        ("3 s\u207b\u00b9", "1/s", 3.0),
    ],
)
def test_number_and_unit_forms_that_are_accepted(text: str, unit: str, expected: float) -> None:
    assert convert(parse_quantity(text), unit) == pytest.approx(expected, rel=1e-4)


def test_a_hostile_tower_of_powers_is_refused_at_once() -> None:
    """Pint's own parser would compute 9**9**8 on Python integers for minutes; ours does no
    arithmetic, so it answers at once (the bound of 1 s only guards against a regression)."""
    import threading

    outcome: list[BaseException | None] = []

    def parse() -> None:
        try:
            parse_quantity("9**9**8 kg")
        except UnitError as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    worker = threading.Thread(target=parse, daemon=True)
    worker.start()
    worker.join(timeout=1.0)
    assert not worker.is_alive(), "parsing '9**9**8 kg' took more than 1 s"
    assert isinstance(outcome[0], UnitError)
