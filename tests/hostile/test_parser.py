"""The pure quantity parser on arbitrary text: a finite quantity or a UnitError, nothing else."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from lca.units import UnitError, parse_quantity

PIECES = [
    "9",
    "**",
    "^",
    "*",
    "/",
    "e",
    "E",
    "-",
    "+",
    ".",
    " ",
    "(",
    ")",
    "kg",
    "m",
    "³",
    "⁻",
    "nan",
    "inf",
    "٣",
    "1e308",
    "_",
    "\u00a0",
    "MWh",
    "1",
    "0",
]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=220), st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
)
def test_any_text_is_a_finite_quantity_or_a_unit_error(text: str) -> None:
    try:
        quantity = parse_quantity(text)
    except UnitError:
        return
    assert math.isfinite(float(quantity.magnitude))
    assert str(quantity.units) != "dimensionless"
