"""Server-side SVG charts: numbers in, geometry out, drawn by ``templates/_chart.html``.

The console has a strict Content-Security-Policy and no front-end build, so a chart is
plain inline SVG computed here: every coordinate is a number this module worked out, and
every piece of text (site names, day labels) reaches the page only through the
autoescaping template, never through string-built markup. Each chart carries a ``<title>``
and ``<desc>`` for screen readers, and each bar or point its own ``<title>`` with the
exact figure; pages show the same numbers in a table beside the chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["PALETTE", "Chart", "Series", "make_chart", "nice_ceiling"]

#: series colours (colour-blind-safe Okabe–Ito order), as SVG presentation attributes
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")

_WIDTH, _HEIGHT = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 12, 44


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


@dataclass(frozen=True)
class Mark:
    """One bar (``width`` > 0) or one point of a line (``width`` == 0)."""

    x: float
    y: float
    width: float
    height: float
    label: str  # "taoji, 2026-11-30: 40 listings"


@dataclass(frozen=True)
class Drawn:
    name: str
    colour: str
    marks: list[Mark]
    points: str  # "x,y x,y …" of a line chart, "" for bars


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class Chart:
    key: str  # unique on the page: ids of <title>/<desc> derive from it
    title: str
    description: str
    kind: Literal["bar", "line"]
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    plot_right: int
    series: list[Drawn]
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (an axis top people read)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _divisions(top: float) -> int:
    """Grid lines that land on round numbers: 2 → 0.5 steps, 5 → 1, 2.5 → 0.5, 10 → 2."""
    leading = top / 10 ** math.floor(math.log10(top))
    return 4 if math.isclose(leading, 2) else 5


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


def make_chart(
    key: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    kind: Literal["bar", "line"] = "bar",
) -> Chart:
    """A grouped bar chart (or one line per series) of ``series`` over ``categories``."""
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(
                f"series {one.name!r} has {len(one.values)} values, not {len(categories)}"
            )
    top = nice_ceiling(max((v for one in series for v in one.values), default=0.0))
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    bottom = _TOP + plot_h
    slot = plot_w / max(1, len(categories))
    bar_w = slot * 0.8 / max(1, len(series))
    suffix = f" {unit}" if unit else ""
    drawn = []
    for number, one in enumerate(series):
        marks = []
        for index, (category, value) in enumerate(zip(categories, one.values, strict=True)):
            height = plot_h * max(0.0, value) / top
            label = f"{one.name}, {category}: {_number(value)}{suffix}"
            if kind == "bar":
                x = _LEFT + index * slot + slot * 0.1 + number * bar_w
                marks.append(Mark(round(x, 1), round(bottom - height, 1), round(bar_w, 1),
                                  round(height, 1), label))  # fmt: skip
            else:
                x = _LEFT + index * slot + slot / 2
                marks.append(Mark(round(x, 1), round(bottom - height, 1), 0, 0, label))
        points = " ".join(f"{m.x},{m.y}" for m in marks) if kind == "line" else ""
        drawn.append(Drawn(one.name, PALETTE[number % len(PALETTE)], marks, points))
    every = max(1, math.ceil(len(categories) / 10))  # at most ~10 labels under the axis
    x_ticks = [
        Tick(round(_LEFT + index * slot + slot / 2, 1), category)
        for index, category in enumerate(categories)
        if index % every == 0
    ]
    divisions = _divisions(top)
    y_ticks = [
        Tick(round(bottom - plot_h * step / divisions, 1), _number(top * step / divisions))
        for step in range(divisions + 1)
    ]
    names = ", ".join(one.name for one in series) or "no series"
    span = f"{categories[0]} to {categories[-1]}" if categories else "no days"
    description = (
        f"{'Bars' if kind == 'bar' else 'Lines'} per {names}, {span}; "
        f"highest value {_number(max((v for s in series for v in s.values), default=0))}{suffix}."
    )
    return Chart(
        key=key,
        title=title,
        description=description,
        kind=kind,
        width=_WIDTH,
        height=_HEIGHT,
        plot_left=_LEFT,
        plot_bottom=bottom,
        plot_right=_WIDTH - _RIGHT,
        series=drawn,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
    )
