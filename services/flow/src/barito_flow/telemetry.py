"""The flow's metrics, on the service's own registry (the shared telemetry contract)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from barito_common.telemetry import EventCounters

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
        counters = EventCounters.create(
            registry,
            received="Events read from Kafka.",
            sent="Events indexed (or found already indexed on a replay).",
            dropped="Events not indexed, by reason; each is kept in the dead-letter topic.",
        )
        return cls(
            received=counters.received,
            sent=counters.sent,
            dropped=counters.dropped,
            errors=counters.errors,
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
