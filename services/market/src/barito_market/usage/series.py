"""An app's usage numbers for its status page, computed from its per-minute roll-ups.

Pure: it reads :class:`MinuteCounts` (one app's ``UsageMinute`` rows of the
last day) and the current time, and decides nothing about storage.

* *events/s now*: events received in the last complete minute, divided by 60
  (the minute in progress is partial and would understate the rate);
* *last hour*: one point per minute, 60 points, the last being the minute in
  progress (so what was just sent shows at once);
* *last day*: one point per 15 minutes, 96 points aligned to the quarter hour,
  the last holding the minute in progress;
* *rejected by reason* and *dead-lettered*: sums over the last 24 hours.

    >>> from datetime import UTC, datetime
    >>> now = datetime(2025, 1, 31, 10, 30, 20, tzinfo=UTC)
    >>> rows = [MinuteCounts(minute=datetime(2025, 1, 31, 10, 29, tzinfo=UTC), received_events=600)]
    >>> summary = summarize(rows, now=now)
    >>> summary.events_per_second, len(summary.last_hour), len(summary.last_day)
    (10.0, 60, 96)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "DAY_BUCKET",
    "DAY_POINTS",
    "HOUR_POINTS",
    "MinuteCounts",
    "SeriesPoint",
    "UsageSummary",
    "summarize",
    "window_start",
]

MINUTE = timedelta(minutes=1)
HOUR_POINTS = 60
DAY_BUCKET = timedelta(minutes=15)
DAY_POINTS = 96


@dataclass(frozen=True, slots=True)
class MinuteCounts:
    """One minute of one app (the columns of ``UsageMinute``)."""

    minute: datetime
    received_events: int = 0
    received_bytes: int = 0
    rejected: Mapping[str, int] = field(default_factory=dict)
    indexed_events: int = 0
    indexed_bytes: int = 0
    dead_lettered: int = 0


@dataclass(slots=True)
class SeriesPoint:
    """Counts of one bucket starting at ``start`` and lasting ``seconds``."""

    start: datetime
    seconds: int
    received_events: int = 0
    received_bytes: int = 0
    indexed_events: int = 0
    rejected: int = 0
    dead_lettered: int = 0

    def add(self, counts: MinuteCounts) -> None:
        self.received_events += counts.received_events
        self.received_bytes += counts.received_bytes
        self.indexed_events += counts.indexed_events
        self.rejected += sum(counts.rejected.values())
        self.dead_lettered += counts.dead_lettered

    @property
    def events_per_second(self) -> float:
        """Received events per second, averaged over the bucket."""
        return self.received_events / self.seconds


@dataclass(frozen=True, slots=True)
class UsageSummary:
    events_per_second: float
    indexed_per_second: float
    last_hour: list[SeriesPoint]
    last_day: list[SeriesPoint]
    received_events: int
    received_bytes: int
    indexed_events: int
    rejected: dict[str, int]
    dead_lettered: int


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def window_start(now: datetime) -> datetime:
    """The first minute whose roll-up :func:`summarize` reads."""
    current_quarter = _minute(now) - timedelta(minutes=now.minute % 15)
    return current_quarter - DAY_BUCKET * (DAY_POINTS - 1)


def summarize(rows: Iterable[MinuteCounts], *, now: datetime) -> UsageSummary:
    """The status numbers of one app at ``now`` from its minutes since :func:`window_start`."""
    current = _minute(now)
    hour_start = current - MINUTE * (HOUR_POINTS - 1)
    day_start = window_start(now)
    day_cut = current - timedelta(days=1)
    hour = [SeriesPoint(hour_start + MINUTE * n, 60) for n in range(HOUR_POINTS)]
    day = [SeriesPoint(day_start + DAY_BUCKET * n, 900) for n in range(DAY_POINTS)]
    last_full = SeriesPoint(current - MINUTE, 60)
    totals = SeriesPoint(day_cut, 86_400)
    rejected: dict[str, int] = {}
    for row in rows:
        if row.minute > current or row.minute < day_start:
            continue  # a clock ahead of ours, or older than the window: not shown
        if row.minute >= hour_start:
            hour[int((row.minute - hour_start) / MINUTE)].add(row)
        day[int((row.minute - day_start) / DAY_BUCKET)].add(row)
        if row.minute == last_full.start:
            last_full.add(row)
        if row.minute > day_cut:
            totals.add(row)
            for reason, count in row.rejected.items():
                rejected[reason] = rejected.get(reason, 0) + count
    return UsageSummary(
        events_per_second=last_full.events_per_second,
        indexed_per_second=last_full.indexed_events / 60,
        last_hour=hour,
        last_day=day,
        received_events=totals.received_events,
        received_bytes=totals.received_bytes,
        indexed_events=totals.indexed_events,
        rejected=rejected,
        dead_lettered=totals.dead_lettered,
    )
