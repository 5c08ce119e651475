"""The results page's timeline: hits per month as bars of a small server-rendered SVG chart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

WIDTH = 640  # the SVG's viewBox; the page scales it to the column's width
HEIGHT = 64
GAP = 0.15  # the share of each month's slot left empty between bars
MIN_BAR = 2.0  # a month with a single hit must still show (and be clickable)


@dataclass(frozen=True, slots=True)
class Bar:
    month: str  # YYYY-MM
    count: int
    x: float  # the month's slot: [x, x + slot) of the viewBox's width
    slot: float
    bar_x: float
    bar_width: float
    bar_y: float
    bar_height: float


@dataclass(frozen=True, slots=True)
class Timeline:
    bars: tuple[Bar, ...]
    first: str
    last: str
    peak: int
    peak_month: str  # the first month with the most hits
    width: int = WIDTH
    height: int = HEIGHT


def timeline(counts: Mapping[str, int]) -> Timeline | None:
    """Bars for every month from the first to the last with hits (empty months included).

    ``counts`` is the month facet of a search page (``{"2021-04": 12, …}``); None when no
    month has hits.
    """
    months = sorted(m for m, n in counts.items() if n > 0 and _parse(m) is not None)
    if not months:
        return None
    span = _months_between(months[0], months[-1])
    peak = max(counts[m] for m in months)
    peak_month = next(m for m in months if counts[m] == peak)
    slot = WIDTH / len(span)
    bars = []
    for i, month in enumerate(span):
        count = counts.get(month, 0)
        height = 0.0 if count == 0 else max(MIN_BAR, HEIGHT * count / peak)
        bars.append(
            Bar(
                month=month,
                count=count,
                x=round(i * slot, 2),
                slot=round(slot, 2),
                bar_x=round(i * slot + slot * GAP / 2, 2),
                bar_width=round(slot * (1 - GAP), 2),
                bar_y=round(HEIGHT - height, 2),
                bar_height=round(height, 2),
            )
        )
    return Timeline(bars=tuple(bars), first=months[0], last=months[-1], peak=peak, peak_month=peak_month)


def _parse(month: str) -> tuple[int, int] | None:
    year, _, number = month.partition("-")
    if len(year) != 4 or len(number) != 2 or not (year + number).isdigit() or not 1 <= int(number) <= 12:
        return None
    return int(year), int(number)


def _months_between(first: str, last: str) -> list[str]:
    start, end = _parse(first), _parse(last)
    assert start is not None and end is not None
    (year, month), out = start, []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
