"""The telemetry contract every Barito producer and consumer exports (house style §7).

``barito_events_received_total{app}``, ``barito_events_sent_total{app}``,
``barito_events_dropped_total{app,reason}`` and ``barito_errors_total{stage}``
mean the same in every service, so one dashboard reads them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

__all__ = ["EventCounters"]


@dataclass(frozen=True)
class EventCounters:
    received: Counter
    sent: Counter
    dropped: Counter
    errors: Counter

    @classmethod
    def create(
        cls, registry: CollectorRegistry, *, received: str, sent: str, dropped: str
    ) -> EventCounters:
        """The four counters on ``registry``; the texts say what each means in this service."""
        return cls(
            received=Counter("barito_events_received_total", received, ["app"], registry=registry),
            sent=Counter("barito_events_sent_total", sent, ["app"], registry=registry),
            dropped=Counter(
                "barito_events_dropped_total", dropped, ["app", "reason"], registry=registry
            ),
            errors=Counter(
                "barito_errors_total", "Failed operations, by stage.", ["stage"], registry=registry
            ),
        )
