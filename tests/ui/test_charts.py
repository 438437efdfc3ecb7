"""The SVG chart helpers: tick steps, bar geometry and the histogram built from percentiles."""

from __future__ import annotations

import re

import pytest

from app.ui.charts import LABEL_WIDTH, VALUE_WIDTH, WIDTH, bar_chart, nice_ticks, quantile_bins


def test_ticks_step_in_ones_twos_and_fives() -> None:
    """0 … 8.72 in about five steps: the raw step 1.744 rounds up to 2, so 0, 2, …, 10 (the last
    tick covers 8.72). 15.4 … 20.1: raw step 0.94 → 1, from floor(15.4) = 15 to 21 (covers 20.1).
    −0.4 … 13.7: raw 2.82 → 5, from −5 to 15."""
    assert nice_ticks(0, 8.72) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(15.4, 20.1) == pytest.approx([15, 16, 17, 18, 19, 20, 21])
    assert nice_ticks(-0.4, 13.7) == [-5, 0, 5, 10, 15]


def test_bars_are_proportional_and_labelled() -> None:
    """Values 8 and 2 on ticks 0 … 8 (step 2): the plot spans WIDTH − LABEL_WIDTH − VALUE_WIDTH
    = 720 − 230 − 80 = 410 px, so the bars are 410 and 410 × 2/8 = 102.5 px wide."""
    svg = str(bar_chart([("cathode", 8.0), ("<anode>", 2.0)], unit="kg CO2e per cell", title="t"))
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    assert widths == pytest.approx([span, span * 2 / 8], abs=0.1)
    assert "kg CO2e per cell</text>" in svg  # the axis says its unit
    assert "&lt;anode&gt;" in svg and "<anode>" not in svg  # labels are escaped
    assert 'role="img"' in svg and "<desc>cathode: 8.000 kg CO2e per cell" in svg


def test_histogram_bins_between_percentiles_hold_their_share() -> None:
    """Percentiles p2.5 = 15, p5 = 15.5, p50 = 17.5, p95 = 20, p97.5 = 21. Between p5 and p50
    lies 45 % of the runs over 2 kg: density 0.45 / 2 = 0.225; between p2.5 and p5, 2.5 % over
    0.5 kg: 0.05. The bars' areas add up to 95 % (p2.5 … p97.5)."""
    bins = quantile_bins({"p2.5": 15.0, "p5": 15.5, "p50": 17.5, "p95": 20.0, "p97.5": 21.0})
    expected = [(15.0, 15.5, 0.05), (15.5, 17.5, 0.225), (17.5, 20.0, 0.18), (20.0, 21.0, 0.025)]
    assert len(bins) == len(expected)
    for got, want in zip(bins, expected, strict=True):
        assert got == pytest.approx(want)
    assert sum((high - low) * density for low, high, density in bins) == pytest.approx(0.95)
