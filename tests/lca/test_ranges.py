from __future__ import annotations

import math

import pytest

from lca.ranges import PLAUSIBLE_RANGES, Range, range_problem


def test_every_range_is_finite_and_ordered() -> None:
    for kind, bound in PLAUSIBLE_RANGES.items():
        assert math.isfinite(bound.low) and math.isfinite(bound.high), kind
        assert bound.low < bound.high, kind


def test_the_energy_range_follows_from_capacity_and_voltage() -> None:
    """0.005 Ah × 0.5 V = 2.5e-6 kWh and 5000 Ah × 10 V = 50 kWh: every cell whose capacity and
    voltage pass has an energy that passes too, and no division by it can overflow."""
    capacity, voltage = (
        PLAUSIBLE_RANGES["cell.nominal_capacity"],
        PLAUSIBLE_RANGES["cell.nominal_voltage"],
    )
    energy = PLAUSIBLE_RANGES["cell.nominal_energy"]
    assert capacity.low * voltage.low / 1000 == pytest.approx(energy.low)
    assert capacity.high * voltage.high / 1000 == pytest.approx(energy.high)


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        (
            "cell.nominal_capacity",
            6000.0,
            "6000 Ah is outside the plausible range: expected 0.005 to 5000 Ah",
        ),
        ("cell.nominal_voltage", 0.1, "expected 0.5 to 10 V"),
        ("site.output", 0.0, "must be greater than zero; expected 1 to 1e+11 kg"),
        ("line.kg", math.inf, "far outside the plausible range: expected 1e-09 to 200 kg"),
        ("pcf.declared_unit_amount", 0.0, "expected more than 0 and at most 1e+09"),
    ],
)
def test_a_problem_names_the_bound_and_the_unit(kind: str, value: float, words: str) -> None:
    problem = range_problem(kind, value)
    assert problem is not None and words in problem


def test_the_edges_are_inside() -> None:
    assert range_problem("cell.nominal_capacity", 0.005) is None
    assert range_problem("cell.nominal_capacity", 5000.0) is None
    assert range_problem("plant.electricity_per_cell", 0.0) is None


def test_a_unitless_kind_takes_the_unit_it_is_given() -> None:
    problem = range_problem("site.material", 2e12, "MJ")
    assert problem is not None and "2e+12 MJ" in problem and "0 to 1e+12 MJ" in problem
    assert range_problem("line.furlong", 2e6) is not None  # an unknown unit: the generic range
    assert Range(0.0, 1.0, "kg").problem(-1.0) is not None
