"""What each app sent: Prometheus counters now, and UsageReports per window.

The counters follow the telemetry contract every producer shares
(``barito_events_received_total``, ``..._sent_total``, ``..._dropped_total``,
``barito_errors_total``). The same counts are summed per app over a window
(10 s by default) and published to the usage topic, where the market rolls
them up for the app's status page.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from barito_common.telemetry import EventCounters
from barito_common.usage_windows import UsageWindows

__all__ = ["UsageMeter"]


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
        self.windows = UsageWindows("receiver", errors=self.errors)

    def accepted(self, app_id: str, slug: str, events: int, size: int) -> None:
        self.received.labels(slug).inc(events)
        self.sent.labels(slug).inc(events)
        self.bytes_sent.labels(slug).inc(size)
        self.windows.add(app_id, events=events, size=size)

    def rejected(self, app_id: str | None, slug: str, events: int, reason: str) -> None:
        self.received.labels(slug).inc(events)
        self.dropped.labels(slug, reason).inc(events)
        if app_id is not None:
            self.windows.add(app_id, rejected=reason, rejected_events=events)
