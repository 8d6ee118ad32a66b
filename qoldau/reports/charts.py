"""The day's chart of the wallboard as plain geometry for a server-rendered inline SVG: a bar of
calls per quarter-hour and a line of the ASA per quarter-hour, with the p.7 target dashed."""

from __future__ import annotations

from dataclasses import dataclass

from qoldau.core import clock
from qoldau.reports.call_metrics import IntervalFigures

WIDTH, HEIGHT = 960, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 44, 16, 28


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class DayChart:
    width: int
    height: int
    bars: list[Bar]
    asa_points: str
    target_y: float | None
    ticks: list[Tick]
    calls_max: int
    asa_max: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    total_calls: int


def _nice(value: float) -> int:
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step:
            return step
    return int(value) + 1


def day_chart(intervals: list[IntervalFigures], target_seconds: int) -> DayChart:
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(intervals))
    calls_max = _nice(max((i.figures.calls for i in intervals), default=0) or 1)
    asa_values = [i.figures.asa_seconds for i in intervals]
    asa_max = _nice(max([a for a in asa_values if a is not None] + [target_seconds * 1.5]))
    bars: list[Bar] = []
    points: list[str] = []
    ticks: list[Tick] = []
    for n, interval in enumerate(intervals):
        x = LEFT + n * slot
        calls = interval.figures.calls
        height = plot_h * calls / calls_max
        local = interval.start.astimezone(clock.local_zone())
        bars.append(
            Bar(
                round(x + 1, 1),
                round(TOP + plot_h - height, 1),
                round(slot - 2, 1),
                round(height, 1),
                f"{local:%H:%M}",
            )
        )
        asa = asa_values[n]
        if asa is not None:
            y = TOP + plot_h - plot_h * min(asa, asa_max) / asa_max
            points.append(f"{x + slot / 2:.1f},{y:.1f}")
        if local.minute == 0 and local.hour % 3 == 0:
            ticks.append(Tick(round(x, 1), f"{local:%H:%M}"))
    target_y = TOP + plot_h - plot_h * target_seconds / asa_max if asa_max else None
    return DayChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        asa_points=" ".join(points),
        target_y=round(target_y, 1) if target_y is not None else None,
        ticks=ticks,
        calls_max=calls_max,
        asa_max=asa_max,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=TOP + plot_h,
        total_calls=sum(i.figures.calls for i in intervals),
    )
