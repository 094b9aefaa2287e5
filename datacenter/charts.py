"""Server-rendered SVG charts: geometry computed here, drawn by the template (no chart
library, no CDN; the page works without JavaScript)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from datacenter.selectors import DayRow

WIDTH = 720
HEIGHT = 180
GAP = 0.2  # share of each day's slot left empty between bars


@dataclass(frozen=True)
class Bar:
    key: str  # the ISO day, for tests and tooltips
    x: float
    y: float
    width: float
    height: float
    value: Decimal | int


@dataclass(frozen=True)
class DayChart:
    width: int
    height: int
    bars: list[Bar]
    top: Decimal | int  # the value at the chart's top edge
    # Orders per day as an SVG polyline over the bars ("" when there is no second series).
    line_points: str = ""
    line_top: int = 0


def _scaled(value, top, height: int) -> float:
    return round(float(value) / float(top) * height, 2) if top else 0.0


def day_chart(
    days: Sequence[DayRow],
    value: Callable[[DayRow], Decimal | int],
    line: Callable[[DayRow], int] | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> DayChart:
    slot = width / max(len(days), 1)
    top = max((value(day) for day in days), default=0) or 0
    bars = []
    for index, day in enumerate(days):
        amount = value(day)
        bar_height = _scaled(max(amount, 0), top, height)
        bars.append(
            Bar(
                key=day.day.isoformat(),
                x=round(index * slot + slot * GAP / 2, 2),
                y=round(height - bar_height, 2),
                width=round(slot * (1 - GAP), 2),
                height=bar_height,
                value=amount,
            )
        )
    points, line_top = "", 0
    if line is not None:
        line_top = max((line(day) for day in days), default=0)
        points = " ".join(
            f"{round(index * slot + slot / 2, 2)},{round(height - _scaled(line(day), line_top, height), 2)}"
            for index, day in enumerate(days)
        )
    return DayChart(
        width=width, height=height, bars=bars, top=top, line_points=points, line_top=line_top
    )
