"""What each app sent: Prometheus counters now, and UsageReports per window.

The counters follow the telemetry contract every producer shares
(``barito_events_received_total``, ``..._sent_total``, ``..._dropped_total``,
``barito_errors_total``). The same counts are summed per app over a window
(10 s by default) and published to the usage topic, where the market rolls
them up for the app's status page.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter

from barito_common.kafka_producer import RecoveringProducer
from barito_common.schemas import UsageReport, to_bytes
from barito_common.telemetry import EventCounters

__all__ = ["UsageMeter"]

log = logging.getLogger(__name__)

_MAX_UNSENT_REPORTS = 10_000


@dataclass
class _Window:
    events: int = 0
    bytes: int = 0
    rejected: Tally[str] = field(default_factory=Tally)


class UsageMeter:
    def __init__(self, registry: CollectorRegistry) -> None:
        counters = EventCounters.create(
            registry,
            received="Events received in requests, accepted or not.",
            sent="Events acknowledged by Kafka.",
            dropped="Events refused, by reason (the client was told and may retry).",
        )
        self.received, self.sent = counters.received, counters.sent
        self.dropped, self.errors = counters.dropped, counters.errors
        self.bytes_sent = Counter(
            "barito_bytes_sent_total",
            "Decompressed request bytes of acknowledged events.",
            ["app"],
            registry=registry,
        )
        self._windows: dict[str, _Window] = {}
        self._window_start = datetime.now(UTC)
        self._unsent: list[UsageReport] = []

    def accepted(self, app_id: str, slug: str, events: int, size: int) -> None:
        self.received.labels(slug).inc(events)
        self.sent.labels(slug).inc(events)
        self.bytes_sent.labels(slug).inc(size)
        window = self._windows.setdefault(app_id, _Window())
        window.events += events
        window.bytes += size

    def rejected(self, app_id: str | None, slug: str, events: int, reason: str) -> None:
        self.received.labels(slug).inc(events)
        self.dropped.labels(slug, reason).inc(events)
        if app_id is not None:
            self._windows.setdefault(app_id, _Window()).rejected[reason] += events

    def take_reports(self, now: datetime) -> list[UsageReport]:
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
                source="receiver",
            )
            for app_id, window in windows.items()
        ]

    async def publish_forever(
        self, producer: RecoveringProducer, topic: str, window_s: float
    ) -> None:
        while True:
            await asyncio.sleep(window_s)
            await self.publish(producer, topic)

    async def publish(self, producer: RecoveringProducer, topic: str) -> None:
        """Publish the closed window, and earlier ones Kafka could not take."""
        pending = [*self._unsent, *self.take_reports(datetime.now(UTC))]
        sent = 0
        try:
            for report in pending:
                await producer.send_and_wait(topic, to_bytes(report), key=report.app_id.encode())
                sent += 1
        except Exception as err:
            self.errors.labels("usage_publish").inc()
            log.warning(
                "Could not publish usage; keeping it for the next window.",
                extra={"ctx": {"reports": len(pending) - sent, "error": repr(err)}},
            )
        # Kept windows are bounded so a long Kafka outage cannot exhaust memory;
        # the Prometheus counters still hold the totals.
        self._unsent = pending[sent:][-_MAX_UNSENT_REPORTS:]

    @staticmethod
    async def stop_task(task: asyncio.Task[None]) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
