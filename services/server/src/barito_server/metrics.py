"""The tail server's telemetry: the shared contract plus clients, readers and lag.

* ``barito_events_received_total{app}`` — events the shared readers read from Kafka;
* ``barito_events_sent_total{app}`` — events delivered to clients (one per client);
* ``barito_events_dropped_total{app,reason="slow_client"}`` — matching events
  skipped for a client that fell behind;
* ``barito_tail_clients{app}``, ``barito_tail_readers{app}`` — now connected / running;
* ``barito_tail_reader_lag{app}`` — records between a reader and the end of its topic.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Gauge

from barito_common.telemetry import EventCounters

__all__ = ["TailMetrics"]


@dataclass(frozen=True)
class TailMetrics:
    events: EventCounters
    clients: Gauge
    readers: Gauge
    lag: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> TailMetrics:
        return cls(
            events=EventCounters.create(
                registry,
                received="Events read from the app's topic by the shared tail readers.",
                sent="Events delivered to tail clients, counted once per client.",
                dropped="Matching events skipped for tail clients that fell behind.",
            ),
            clients=Gauge(
                "barito_tail_clients", "Tail clients connected now.", ["app"], registry=registry
            ),
            readers=Gauge(
                "barito_tail_readers",
                "Shared Kafka readers running now (one per app with clients).",
                ["app"],
                registry=registry,
            ),
            lag=Gauge(
                "barito_tail_reader_lag",
                "Records between the app's shared reader and the end of its topic.",
                ["app"],
                registry=registry,
            ),
        )
