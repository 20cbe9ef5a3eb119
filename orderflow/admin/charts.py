"""Chart geometry for the reports: figures in, shapes in SVG units out, drawn by a template.

Pure: no Flask, no database. Time runs along x in buckets (a day, a week starting on Monday, a
month); money runs up y from 0 to a round number, with a few gridlines a merchant reads at a glance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

UNITS = ("day", "week", "month")
# Distinct at a glance and on a grey printout; a carrier keeps its colour across the charts.
PALETTE = ("#2c6ecb", "#e8912d", "#3aa57a", "#9c6ade", "#d95a5a", "#4bb3c5", "#b38f00", "#7a7f87")
MAX_X_LABELS = 10


# ---------------------------------------------------------------- the time axis


def bucket_of(day: date, unit: str) -> date:
    """The first day of the bucket holding `day`."""
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown unit {unit!r}; use one of {', '.join(UNITS)}")


def buckets(start: date, end: date, unit: str) -> list[date]:
    """Every bucket from the one holding `start` to the one holding `end`, gaps included."""
    first, last, out = bucket_of(start, unit), bucket_of(end, unit), []
    while first <= last:
        out.append(first)
        first = _next(first, unit)
    return out


def _next(day: date, unit: str) -> date:
    if unit == "day":
        return day + timedelta(days=1)
    if unit == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def bucket_label(day: date, unit: str) -> str:
    """Short: "Nov 3" for a day or the week starting then, "Nov 2026" for a month."""
    return f"{day:%b} {day.year}" if unit == "month" else f"{day:%b} {day.day}"


# ---------------------------------------------------------------- scales


def nice_scale(highest: float, most: int = 6) -> tuple[float, float]:
    """(top, step): the smallest round step that reaches `highest` in at most `most` steps, and
    the top it reaches."""
    if highest <= 0:
        return 4.0, 1.0
    magnitude = 10 ** math.floor(math.log10(highest / most))
    for multiple in (1, 2, 2.5, 5, 10, 20, 25, 50):
        step = multiple * magnitude
        count = math.ceil(highest / step - 1e-9)
        if count <= most:
            return round(count * step, 10), round(step, 10)
    raise AssertionError("unreachable: 50 x magnitude always fits")


def tick_label(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Frame:
    """The drawing, and inside it the plot area that the axes' labels leave."""

    width: int = 720
    height: int = 240
    left: int = 56
    right: int = 12
    top: int = 12
    bottom: int = 28

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def base(self) -> float:
        return self.top + self.plot_height

    def y(self, value: float, top: float) -> float:
        return self.base - (value / top) * self.plot_height if top else self.base

    def slot(self, count: int) -> float:
        return self.plot_width / max(count, 1)

    def centre(self, index: int, count: int) -> float:
        return self.left + self.slot(count) * (index + 0.5)


@dataclass(frozen=True)
class Tick:
    at: float  # y for a gridline, x for a column label
    label: str


def _y_ticks(frame: Frame, top: float, step: float) -> tuple[Tick, ...]:
    count = round(top / step)
    return tuple(Tick(round(frame.y(step * n, top), 1), tick_label(step * n))
                 for n in range(count + 1))


def _x_labels(frame: Frame, labels: Sequence[str]) -> tuple[Tick, ...]:
    every = math.ceil(len(labels) / MAX_X_LABELS) or 1
    return tuple(Tick(round(frame.centre(i, len(labels)), 1), label)
                 for i, label in enumerate(labels) if i % every == 0)


# ---------------------------------------------------------------- stacked bars


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    series: str
    column: str
    value: float


@dataclass(frozen=True)
class BarChart:
    frame: Frame
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]
    x_labels: tuple[Tick, ...]
    colours: Mapping[str, str]  # the legend: series -> colour, in stacking order


def colours_for(series: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}


def stacked_bars(columns: Sequence[str], series: Sequence[str],
                 values: Mapping[tuple[int, str], float], frame: Frame = Frame()) -> BarChart:
    """One bar per column, its series stacked in `series` order from the bottom."""
    totals = [sum(values.get((i, s), 0) for s in series) for i in range(len(columns))]
    top, step = nice_scale(max(totals, default=0))
    width = min(frame.slot(len(columns)) * 0.7, 48)
    colours, bars = colours_for(series), []
    for i, column in enumerate(columns):
        below = 0.0
        for name in series:
            value = values.get((i, name), 0)
            if value > 0:
                y = frame.y(below + value, top)
                x = frame.centre(i, len(columns)) - width / 2
                height = frame.y(below, top) - y
                bars.append(Bar(round(x, 1), round(y, 1), round(width, 1), round(height, 1),
                                colours[name], name, column, value))
                below += value
    return BarChart(frame, tuple(bars), _y_ticks(frame, top, step), _x_labels(frame, columns),
                    colours)


# ---------------------------------------------------------------- a line over time


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    column: str
    value: float


@dataclass(frozen=True)
class LineChart:
    frame: Frame
    segments: tuple[str, ...]  # SVG path data; a column without a value breaks the line
    points: tuple[Point, ...]
    y_ticks: tuple[Tick, ...]
    x_labels: tuple[Tick, ...]


def line(columns: Sequence[str], values: Sequence[float | None],
         frame: Frame = Frame()) -> LineChart:
    top, step = nice_scale(max((v for v in values if v is not None), default=0))
    points, segments, current = [], [], []
    for i, (column, value) in enumerate(zip(columns, values, strict=False)):
        if value is None:
            segments, current = _close(segments, current), []
            continue
        x, y = frame.centre(i, len(columns)), frame.y(value, top)
        point = Point(round(x, 1), round(y, 1), column, value)
        points.append(point)
        current.append(point)
    segments = _close(segments, current)
    return LineChart(frame, tuple(segments), tuple(points), _y_ticks(frame, top, step),
                     _x_labels(frame, columns))


def _close(segments: list[str], current: list[Point]) -> list[str]:
    if len(current) < 2:
        return segments
    return [*segments, "M" + " L".join(f"{p.x} {p.y}" for p in current)]


# ---------------------------------------------------------------- shares (on-time rates)


@dataclass(frozen=True)
class ShareBar:
    label: str
    y: float
    width: float  # of the 0..100% track
    share: float


@dataclass(frozen=True)
class ShareChart:
    width: int
    height: int
    left: int  # where the track starts, after the labels
    track: int  # the track's length: 100%
    row: int
    bars: tuple[ShareBar, ...]
    marks: tuple[Tick, ...]  # 0%, 50%, 100% along the track


def share_bars(items: Sequence[tuple[str, float]], width: int = 720, left: int = 200,
               row: int = 30) -> ShareChart:
    """A horizontal bar per item, its length the share (0..1) of a 100% track."""
    track = width - left - 60
    bars = tuple(ShareBar(label, 8 + n * row, round(track * max(0.0, min(share, 1.0)), 1), share)
                 for n, (label, share) in enumerate(items))
    marks = tuple(Tick(left + track * f, f"{int(f * 100)}%") for f in (0, 0.5, 1))
    return ShareChart(width, 8 + len(items) * row + 20, left, track, row, bars, marks)
