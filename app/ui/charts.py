"""Small SVG charts drawn on the server: horizontal bars and a histogram, with labelled axes.

Plain SVG markup, no script: it prints, scales with the page and reads in a screen reader
(``role="img"`` with a title and a description naming every value).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 720
LABEL_WIDTH = 230  # room for "raw material acquisition and pre processing" at 12 px
VALUE_WIDTH = 80
ROW_HEIGHT = 26
BAR = "#2f6db5"  # 5.3:1 against white (WCAG AA for graphics needs 3:1)
NEGATIVE_BAR = "#a34a00"  # credits (end-of-life recycling), 5.6:1 against white
AXIS = "#333333"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
# About as many characters of a 12 px sans-serif label as fit in LABEL_WIDTH; longer labels
# are cut with an ellipsis (the full text is in the bar's tooltip and in the table).
LABEL_CHARS = 34


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2 or 5 × 10^n, about ``count`` ticks.

    >>> nice_ticks(0, 8.72)
    [0, 2, 4, 6, 8, 10]
    """
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    value = first
    while value < high + step * 1e-9 or len(ticks) < 2:
        ticks.append(round(value, 12))
        if value >= high - step * 1e-9:
            break
        value += step
    if ticks[-1] < high - step * 1e-9:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def _tick_text(value: float) -> str:
    return f"{value:g}"


def bar_chart(
    items: Sequence[tuple[str, float]], *, unit: str, title: str, digits: int = 3
) -> Markup:
    """Horizontal bars, one per ``(label, value)``, on a zero-based axis labelled ``unit``."""
    values = [v for _, v in items]
    ticks = nice_ticks(min([0.0, *values]), max([0.0, *values]) or 1.0)
    low, high = ticks[0], ticks[-1]
    plot_left, plot_right = LABEL_WIDTH, WIDTH - VALUE_WIDTH
    span = plot_right - plot_left

    def x(value: float) -> float:
        return plot_left + (value - low) / (high - low) * span

    top = 8
    height = top + ROW_HEIGHT * len(items) + 48
    axis_y = top + ROW_HEIGHT * len(items) + 4
    description = "; ".join(f"{label}: {value:.{digits}f} {unit}" for label, value in items)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="chart" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
    ]
    for tick in ticks:
        tx = x(tick)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{axis_y}" stroke="#dddddd"/>'
            f'<text x="{tx:.1f}" y="{axis_y + 16}" {FONT} text-anchor="middle" fill="{AXIS}">'
            f"{_tick_text(tick)}</text>"
        )
    zero = x(0.0)
    for row, (label, value) in enumerate(items):
        y = top + row * ROW_HEIGHT
        left, right = sorted((zero, x(value)))
        colour = NEGATIVE_BAR if value < 0 else BAR
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" {FONT} text-anchor="end" fill="{AXIS}">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{left:.1f}" y="{y + 4}" width="{max(right - left, 0.5):.1f}" '
            f'height="{ROW_HEIGHT - 8}" fill="{colour}"><title>{escape(label)}</title></rect>'
            f'<text x="{plot_right + 6}" y="{y + 16}" {FONT} fill="{AXIS}">'
            f"{value:.{digits}f}</text>"
        )
    parts.append(
        f'<line x1="{plot_left}" y1="{axis_y}" x2="{plot_right}" y2="{axis_y}" stroke="{AXIS}"/>'
        f'<line x1="{zero:.1f}" y1="{top - 4}" x2="{zero:.1f}" y2="{axis_y}" stroke="{AXIS}"/>'
        f'<text x="{(plot_left + plot_right) / 2:.1f}" y="{axis_y + 36}" {FONT} '
        f'text-anchor="middle" fill="{AXIS}">{escape(unit)}</text></svg>'
    )
    return Markup("".join(parts))


def quantile_bins(percentiles: dict[str, float]) -> list[tuple[float, float, float]]:
    """Histogram bins ``(low, high, density)`` between consecutive percentiles of a sample.

    Between the p-th and q-th percentiles lies (q − p) % of the sample, so a bar of that area
    over [x_p, x_q] has height (q − p) / 100 / (x_q − x_p): a histogram with unequal bins whose
    bars' areas add up to the share of the sample they cover (95 % between p2.5 and p97.5).
    """
    points = sorted((float(name[1:]), value) for name, value in percentiles.items())
    bins = []
    for (p, low), (q, high) in zip(points, points[1:], strict=False):
        if high > low:
            bins.append((low, high, (q - p) / 100 / (high - low)))
    return bins


def histogram(
    bins: Sequence[tuple[float, float, float]],
    *,
    unit: str,
    title: str,
    marks: Sequence[tuple[str, float]] = (),
) -> Markup:
    """Bars over ``(low, high, density)`` bins on an x axis in ``unit``; ``marks`` are labelled
    vertical lines (the mean, the static result)."""
    width, height = WIDTH, 300
    left, right, top, bottom = 70, width - 20, 30, height - 50
    xs = [b[0] for b in bins] + [b[1] for b in bins] + [value for _, value in marks]
    x_ticks = nice_ticks(min(xs), max(xs)) if xs else [0.0, 1.0]
    y_ticks = nice_ticks(0.0, max((b[2] for b in bins), default=1.0), 4)

    def x(value: float) -> float:
        return left + (value - x_ticks[0]) / (x_ticks[-1] - x_ticks[0]) * (right - left)

    def y(value: float) -> float:
        return bottom - value / y_ticks[-1] * (bottom - top)

    description = "; ".join(
        f"{low:.3g} to {high:.3g} {unit}: density {density:.3g}" for low, high, density in bins
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
        f'<text x="0" y="16" {FONT} font-weight="bold" fill="{AXIS}">{escape(title)}</text>',
    ]
    for tick in y_ticks:
        parts.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{right}" y2="{y(tick):.1f}" '
            f'stroke="#dddddd"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" {FONT} '
            f'text-anchor="end" fill="{AXIS}">{tick:g}</text>'
        )
    for tick in x_ticks:
        parts.append(
            f'<text x="{x(tick):.1f}" y="{bottom + 16}" {FONT} text-anchor="middle" '
            f'fill="{AXIS}">{_tick_text(tick)}</text>'
        )
    for low, high, density in bins:
        parts.append(
            f'<rect x="{x(low):.1f}" y="{y(density):.1f}" width="{x(high) - x(low):.1f}" '
            f'height="{bottom - y(density):.1f}" fill="{BAR}" stroke="white"/>'
        )
    for name, value in marks:
        parts.append(
            f'<line x1="{x(value):.1f}" y1="{top}" x2="{x(value):.1f}" y2="{bottom}" '
            f'stroke="{NEGATIVE_BAR}" stroke-dasharray="4 3"/>'
            f'<text x="{x(value) + 4:.1f}" y="{top + 12}" {FONT} fill="{NEGATIVE_BAR}">'
            f"{escape(name)}</text>"
        )
    parts.append(
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{AXIS}"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{AXIS}"/>'
        f'<text x="{(left + right) / 2}" y="{bottom + 38}" {FONT} text-anchor="middle" '
        f'fill="{AXIS}">{escape(unit)}</text>'
        f'<text x="14" y="{(top + bottom) / 2}" {FONT} text-anchor="middle" fill="{AXIS}" '
        f'transform="rotate(-90 14 {(top + bottom) / 2})">probability density (per {escape(unit)})'
        f"</text></svg>"
    )
    return Markup("".join(parts))
