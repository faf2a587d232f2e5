"""Per-app counts summed over a window and published as ``UsageReport``s.

The receiver counts what it accepted and refused, the flow what it indexed
and dead-lettered; both publish one report per app per window (10 s by
default) to the usage topic, where the market rolls them up per minute.

    >>> from datetime import UTC, datetime
    >>> windows = UsageWindows("flow", started=datetime(2026, 1, 1, tzinfo=UTC))
    >>> windows.add("a1", events=3, size=300)
    >>> windows.add("a1", dead_lettered=1)
    >>> [report] = windows.take_reports(datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC))
    >>> report.events, report.bytes, report.dead_lettered, report.source
    (3, 300, 1, 'flow')
    >>> windows.take_reports(datetime(2026, 1, 1, 0, 0, 20, tzinfo=UTC))
    []
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from prometheus_client import Counter

from barito_common.kafka.recovering_producer import RecoveringProducer
from barito_common.schemas import UsageReport, to_bytes

__all__ = ["UsageWindows"]

log = logging.getLogger(__name__)

# Kept windows are bounded so a long Kafka outage cannot exhaust memory; the
# Prometheus counters still hold the totals.
_MAX_UNSENT_REPORTS = 10_000


@dataclass
class _Window:
    events: int = 0
    bytes: int = 0
    dead_lettered: int = 0
    rejected: Tally[str] = field(default_factory=Tally)


class UsageWindows:
    def __init__(
        self,
        source: Literal["receiver", "flow"],
        *,
        errors: Counter | None = None,
        started: datetime | None = None,
    ) -> None:
        self._source: Literal["receiver", "flow"] = source
        self._errors = errors
        self._windows: dict[str, _Window] = {}
        self._window_start = started or datetime.now(UTC)
        self._unsent: list[UsageReport] = []

    def add(
        self,
        app_id: str,
        *,
        events: int = 0,
        size: int = 0,
        dead_lettered: int = 0,
        rejected: str | None = None,
        rejected_events: int = 0,
    ) -> None:
        window = self._windows.setdefault(app_id, _Window())
        window.events += events
        window.bytes += size
        window.dead_lettered += dead_lettered
        if rejected is not None:
            window.rejected[rejected] += rejected_events

    def take_reports(self, now: datetime) -> list[UsageReport]:
        """Close the current window: one report per app that had anything to count."""
        windows, self._windows = self._windows, {}
        start, self._window_start = self._window_start, now
        return [
            UsageReport(
                app_id=app_id,
                window_start=start,
                window_end=now,
                events=window.events,
                bytes=window.bytes,
                rejected=dict(window.rejected),
                dead_lettered=window.dead_lettered,
                source=self._source,
            )
            for app_id, window in windows.items()
        ]

    async def publish(self, producer: RecoveringProducer, topic: str) -> None:
        """Publish the closed window, and earlier ones Kafka could not take.

        A report that fails is sent again with the same ``report_id``, so the
        market counts it once even if the first attempt did land after all.
        """
        pending = [*self._unsent, *self.take_reports(datetime.now(UTC))]
        sent = 0
        try:
            for report in pending:
                await producer.send_and_wait(topic, to_bytes(report), key=report.app_id.encode())
                sent += 1
        except Exception as err:
            if self._errors is not None:
                self._errors.labels("usage_publish").inc()
            log.warning(
                "Could not publish usage; keeping it for the next window.",
                extra={"ctx": {"reports": len(pending) - sent, "error": repr(err)}},
            )
        self._unsent = pending[sent:][-_MAX_UNSENT_REPORTS:]

    async def publish_forever(
        self, producer: RecoveringProducer, topic: str, window_s: float
    ) -> None:
        while True:
            await asyncio.sleep(window_s)
            await self.publish(producer, topic)
