"""Line charts over time: positions worked out by hand, gaps where a value is missing, both
axes labelled with their units, and a description a screen reader can read."""

from __future__ import annotations

import math
import re

from app.ui.series_charts import HEIGHT, Series, line_chart


def _points(svg: str) -> list[list[tuple[float, float]]]:
    return [
        [tuple(map(float, pair.split(","))) for pair in points.split()]  # type: ignore[misc]
        for points in re.findall(r'<polyline points="([^"]+)"', svg)
    ]


def test_points_sit_in_the_middle_of_their_slots_on_a_zero_based_axis() -> None:
    """Four days on a plot from x = 78 to 700 (622 px): slots of 155.5 px, each point in the
    middle of its slot, x = 78 + 77.75 + 155.5·i = 155.75, 311.25, 466.75, 622.25 (written to
    one decimal). Values 0, 5, 10, 5 on ticks 0…10: the plot runs from y = 268 (0) to y = 44
    (10), so 5 sits at 156."""
    svg = str(
        line_chart(
            ["a", "b", "c", "d"],
            [Series("per cell", [0.0, 5.0, 10.0, 5.0])],
            unit="kg CO2e per good cell",
            x_title="day",
            title="t",
        )
    )
    expected = [(155.75, 268.0), (311.25, 156.0), (466.75, 44.0), (622.25, 156.0)]
    for (x, y), (want_x, want_y) in zip(_points(svg)[0], expected, strict=True):
        assert abs(x - want_x) <= 0.051 and y == want_y
    assert HEIGHT - 62 == 268
    assert ">kg CO2e per good cell</text>" in svg and ">day</text>" in svg
    assert "per cell (kg CO2e per good cell): a 0, b 5, c 10, d 5" in svg


def test_a_missing_value_breaks_the_line_and_a_right_axis_has_its_own_unit() -> None:
    svg = str(
        line_chart(
            ["1", "2", "3", "4", "5"],
            [Series("kWh", [1.0, 2.0, math.nan, 2.0, 1.0])],
            unit="kWh per hour",
            x_title="hour",
            title="t",
            right=Series("grid", [0.4, 0.5, 0.45, 0.5, 0.4]),
            right_unit="kg CO2e per kWh",
            ticks=[(0, "first"), (4, "last")],
        )
    )
    lines = _points(svg)
    assert [len(points) for points in lines] == [2, 2, 5]  # the gap splits the first series
    assert ">kg CO2e per kWh</text>" in svg and "(right axis, kg CO2e per kWh)" in svg
    assert re.findall(r">(first|last|3)</text>", svg) == ["first", "last"]
    assert 'stroke-dasharray="6 3"' in svg  # the second line is dashed, not only coloured


def test_long_series_are_described_by_their_range() -> None:
    labels = [f"h{i}" for i in range(100)]
    svg = str(
        line_chart(
            labels,
            [Series("kWh", [float(i) for i in range(100)])],
            unit="kWh",
            x_title="",
            title="t",
        )
    )
    assert "kWh (kWh) from h0 to h99: min 0, mean 49.5, max 99" in svg
    assert "<circle" not in svg  # too many points for dots
