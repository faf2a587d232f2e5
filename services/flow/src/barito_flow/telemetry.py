"""The flow's metrics, on the service's own registry (the shared telemetry contract)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["FlowMetrics"]


@dataclass(frozen=True)
class FlowMetrics:
    received: Counter
    sent: Counter
    dropped: Counter
    errors: Counter
    retries: Counter
    bulk_seconds: Histogram
    lag: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> FlowMetrics:
        return cls(
            received=Counter(
                "barito_events_received_total", "Events read from Kafka.", ["app"],
                registry=registry,
            ),
            sent=Counter(
                "barito_events_sent_total",
                "Events indexed (or found already indexed on a replay).",
                ["app"],
                registry=registry,
            ),
            dropped=Counter(
                "barito_events_dropped_total",
                "Events not indexed, by reason; each is kept in the dead-letter topic.",
                ["app", "reason"],
                registry=registry,
            ),
            errors=Counter(
                "barito_errors_total", "Failed operations, by stage.", ["stage"],
                registry=registry,
            ),
            retries=Counter(
                "barito_flow_bulk_retries_total",
                "Documents sent again after a 429, 5xx or no answer.",
                ["app"],
                registry=registry,
            ),
            bulk_seconds=Histogram(
                "barito_flow_bulk_duration_seconds", "Time of one bulk request.",
                registry=registry,
            ),
            lag=Gauge(
                "barito_flow_partition_lag",
                "Chunks in the partition not yet read by this process.",
                ["topic", "partition"],
                registry=registry,
            ),
        )  # fmt: skip
