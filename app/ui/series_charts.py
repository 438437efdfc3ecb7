"""SVG line charts over time, drawn on the server: one or more series on a left axis, and
optionally one on a right axis with its own unit (a plant's consumption against the grid factor).

Like :mod:`app.ui.charts`: plain SVG without script, ``role="img"`` with a title and a
description, every axis labelled with its unit, series told apart by dash pattern as well as
colour (legible printed in grey).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.ui.charts import AXIS, BAR, FONT, NEGATIVE_BAR, WIDTH, nice_ticks

# Third colour: 5.9:1 against white. Dashes tell series apart without colour.
GREEN = "#2d6a3e"
STYLES = ((BAR, ""), (NEGATIVE_BAR, "6 3"), (GREEN, "2 3"))
HEIGHT = 330
# Up to this many points a series gets a dot at each value (a month of days); beyond, a line.
MAX_MARKERS = 62
# Up to this many points the description names every value; beyond, its range and mean.
MAX_DESCRIBED = 62


@dataclass(frozen=True)
class Series:
    """A named series, one value per x position (NaN where there is none)."""

    name: str
    values: Sequence[float]


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _describe(series: Series, labels: Sequence[str], unit: str) -> str:
    if len(labels) <= MAX_DESCRIBED:
        points = ", ".join(
            f"{label} {value:.4g}"
            for label, value in zip(labels, series.values, strict=True)
            if math.isfinite(value)
        )
        return f"{series.name} ({unit}): {points}"
    known = _finite(series.values)
    if not known:
        return f"{series.name}: no values"
    return (
        f"{series.name} ({unit}) from {labels[0]} to {labels[-1]}: min {min(known):.4g}, "
        f"mean {sum(known) / len(known):.4g}, max {max(known):.4g}"
    )


def _segments(xs: Sequence[float], ys: Sequence[float | None]) -> list[str]:
    """Polyline point lists, broken where a value is missing."""
    runs: list[list[str]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(f"{x:.1f},{y:.1f}")
    return [" ".join(run) for run in runs if run]


def _ticks(series: Sequence[Series]) -> list[float]:
    values = [v for s in series for v in _finite(s.values)]
    return nice_ticks(min([0.0, *values]), max([0.0, *values]) or 1.0, 5)


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str,
    x_title: str,
    title: str,
    right: Series | None = None,
    right_unit: str = "",
    ticks: Sequence[tuple[int, str]] | None = None,
) -> Markup:
    """Lines over the x positions ``labels`` for ``series`` on a zero-based left axis in
    ``unit``, and ``right`` on a right axis in ``right_unit``. ``ticks`` are the (position,
    text) written under the x axis; every label by default."""
    count = max(len(labels), 1)
    left, top = 78, 44
    plot_right = WIDTH - (78 if right else 20)
    bottom = HEIGHT - 62
    step = (plot_right - left) / count
    xs = [left + (i + 0.5) * step for i in range(len(labels))]
    y_ticks = _ticks(series)
    r_ticks = _ticks([right]) if right else [0.0, 1.0]

    def y_of(ticks: list[float], value: float) -> float | None:
        if not math.isfinite(value):
            return None
        return bottom - (value - ticks[0]) / (ticks[-1] - ticks[0]) * (bottom - top)

    every = [*series, *([right] if right else [])]
    units = [unit] * len(series) + ([right_unit] if right else [])
    description = "; ".join(_describe(s, labels, u) for s, u in zip(every, units, strict=True))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
    ]
    for tick in y_ticks:
        ty = y_of(y_ticks, tick) or 0.0
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{plot_right}" y2="{ty:.1f}" stroke="#dddddd"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" {FONT} text-anchor="end" fill="{AXIS}">'
            f"{tick:g}</text>"
        )
    if right:
        for tick in r_ticks:
            ty = y_of(r_ticks, tick) or 0.0
            parts.append(
                f'<text x="{plot_right + 6}" y="{ty + 4:.1f}" {FONT} fill="{AXIS}">{tick:g}</text>'
            )
    for index, label in ticks if ticks is not None else enumerate(labels):
        parts.append(
            f'<line x1="{xs[index]:.1f}" y1="{bottom}" x2="{xs[index]:.1f}" y2="{bottom + 4}" '
            f'stroke="{AXIS}"/><text x="{xs[index]:.1f}" y="{bottom + 17}" {FONT} '
            f'text-anchor="middle" fill="{AXIS}">{escape(label)}</text>'
        )
    legend_x = left
    for number, (line, scale) in enumerate(
        [(s, y_ticks) for s in series] + ([(right, r_ticks)] if right else [])
    ):
        colour, dash = STYLES[number % len(STYLES)]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        ys = [y_of(scale, v) for v in line.values]
        for points in _segments(xs, ys):
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"'
                f"{dashed}/>"
            )
        if len(labels) <= MAX_MARKERS:
            for x, y in zip(xs, ys, strict=True):
                if y is not None:
                    parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
        name = line.name + (f" (right axis, {right_unit})" if line is right else "")
        parts.append(
            f'<line x1="{legend_x}" y1="14" x2="{legend_x + 24}" y2="14" stroke="{colour}" '
            f'stroke-width="2"{dashed}/><text x="{legend_x + 30}" y="18" {FONT} fill="{AXIS}">'
            f"{escape(name)}</text>"
        )
        legend_x += 40 + 7 * len(name)
    middle = (top + bottom) / 2
    parts.append(
        f'<line x1="{left}" y1="{bottom}" x2="{plot_right}" y2="{bottom}" stroke="{AXIS}"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{AXIS}"/>'
        f'<text x="{(left + plot_right) / 2:.1f}" y="{bottom + 40}" {FONT} text-anchor="middle" '
        f'fill="{AXIS}">{escape(x_title)}</text>'
        f'<text x="16" y="{middle}" {FONT} text-anchor="middle" fill="{AXIS}" '
        f'transform="rotate(-90 16 {middle})">{escape(unit)}</text>'
    )
    if right:
        parts.append(
            f'<line x1="{plot_right}" y1="{top}" x2="{plot_right}" y2="{bottom}" '
            f'stroke="{AXIS}"/><text x="{WIDTH - 12}" y="{middle}" {FONT} text-anchor="middle" '
            f'fill="{AXIS}" transform="rotate(90 {WIDTH - 12} {middle})">{escape(right_unit)}'
            "</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
