"""Incidents per month (or year), stacked by type, drawn as SVG on the server.

The chart needs no script: each bar segment is a link to the list filtered to that period
and type, with its count in a tooltip (``<title>``) and in its accessible name. The same
counts are given as a table for screen readers and for copying.
"""

import calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import TruncMonth, TruncYear

from .models import IncidentType

WIDTH, HEIGHT = 960, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 28
MAX_MONTHS = 180  # fifteen years of months; beyond that the bars are counted per year


@dataclass
class Segment:
    incident_type: str
    label: str
    count: int
    y: float
    height: float
    query: str


@dataclass
class Bar:
    start: datetime.date
    end: datetime.date
    label: str
    total: int
    x: float
    width: float
    segments: list = field(default_factory=list)
    tick: str = ""


@dataclass
class Timeline:
    interval: str
    bars: list
    types: list
    max_count: int
    y_ticks: list
    note: str = ""
    width: int = WIDTH
    height: int = HEIGHT
    plot_bottom: int = HEIGHT - BOTTOM
    left: int = LEFT

    @property
    def rows(self):
        """The counts as a table: one row per period, one column per type present."""
        return [
            (
                bar.label,
                [
                    next((s.count for s in bar.segments if s.incident_type == code), 0)
                    for code, _ in self.types
                ],
                bar.total,
            )
            for bar in self.bars
        ]


def _periods(first, last, interval):
    if interval == "year":
        for year in range(first.year, last.year + 1):
            yield datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        return
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield (
            datetime.date(year, month, 1),
            datetime.date(year, month, calendar.monthrange(year, month)[1]),
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _nice_step(maximum):
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000):
        if maximum / step <= 5:
            return step
    return 10 ** len(str(maximum // 5))


def build_timeline(filterset, qs, interval="month"):
    """Counts of the filtered incidents per period (by start date) and type."""
    interval = "year" if interval == "year" else "month"
    trunc = TruncYear if interval == "year" else TruncMonth
    rows = list(
        qs.order_by()
        .annotate(period=trunc("date_start"))
        .values_list("period", "incident_type")
        .annotate(n=Count("pk"))
    )
    note = ""
    if rows and interval == "month":
        periods = [period for period, _, _ in rows]
        first, last = min(periods), max(periods)
        if (last.year - first.year) * 12 + last.month - first.month + 1 > MAX_MONTHS:
            rows, interval = _year_rows(rows), "year"
            note = "Too many months to draw: counted per year."
    return _draw(filterset, rows, interval, note)


def _year_rows(rows):
    merged = {}
    for period, kind, n in rows:
        key = (datetime.date(period.year, 1, 1), kind)  # a date or a datetime: its year
        merged[key] = merged.get(key, 0) + n
    return [(period, kind, n) for (period, kind), n in merged.items()]


def _draw(filterset, rows, interval, note):
    if not rows:
        return Timeline(interval, [], [], 0, [], note)
    counts = {}
    for period, kind, n in rows:
        period = period.date() if isinstance(period, datetime.datetime) else period
        counts.setdefault(period, {})[kind] = n
    order = [code for code in IncidentType.values if any(code in c for c in counts.values())]
    types = [(code, IncidentType(code).label) for code in order]
    periods = list(_periods(min(counts), max(counts), interval))
    totals = [sum(counts.get(start, {}).values()) for start, _ in periods]
    max_count = max(totals)
    step = _nice_step(max_count)
    top = -(-max_count // step) * step
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / len(periods)
    gap = min(2.0, slot * 0.2)
    bars = []
    for index, ((start, end), total) in enumerate(zip(periods, totals, strict=True)):
        label = str(start.year) if interval == "year" else f"{start:%b %Y}"
        bar = Bar(
            start,
            end,
            label,
            total,
            round(LEFT + index * slot + gap / 2, 2),
            round(max(slot - gap, 0.5), 2),
        )
        if interval == "year" or start.month == 1 or index == 0:
            bar.tick = str(start.year)
        y = HEIGHT - BOTTOM
        for code, type_label in types:
            n = counts.get(start, {}).get(code, 0)
            if not n:
                continue
            height = n / top * plot_height
            y -= height
            query = filterset.querystring(
                date_after=[
                    max(start, filterset.form.cleaned_data.get("date_after") or start).isoformat()
                ],
                date_before=[
                    min(end, filterset.form.cleaned_data.get("date_before") or end).isoformat()
                ],
                incident_type=[code],
            )
            bar.segments.append(Segment(code, type_label, n, round(y, 2), round(height, 2), query))
        bars.append(bar)
    y_ticks = [
        (value, round(HEIGHT - BOTTOM - value / top * plot_height, 2))
        for value in range(0, top + 1, step)
    ]
    return Timeline(interval, bars, types, max_count, y_ticks, note)
