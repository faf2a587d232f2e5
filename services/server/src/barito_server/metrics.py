"""The tail server's telemetry: the shared contract plus clients, readers and lag.

* ``barito_events_received_total{app}`` — events the shared readers read from Kafka;
* ``barito_events_sent_total{app}`` — events delivered to clients (one per client);
* ``barito_events_dropped_total{app,reason="slow_client"}`` — matching events
  skipped for a client that fell behind;
* ``barito_tail_clients{app}``, ``barito_tail_readers{app}`` — now connected / running;
* ``barito_tail_reader_lag{app}`` — records between a reader and the end of its topic.

With several worker processes a scrape merges them (barito_common.worker_metrics):
clients, readers and rules are summed over the live workers, lags are their maximum.

Alert evaluation (:class:`AlertMetrics`):

* ``barito_alert_rules{app}`` — rules this replica evaluates now;
* ``barito_alert_transitions_total{app,transition}`` — firing, resolved, renotify;
* ``barito_alert_deliveries_total{kind,outcome}`` — notifications per channel,
  delivered or failed (after every attempt);
* ``barito_alert_evaluation_lag{app}`` — records between the evaluator and the
  end of the app's topic.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from barito_common.telemetry import EventCounters

__all__ = ["AlertMetrics", "TailMetrics"]


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
                "barito_tail_clients",
                "Tail clients connected now.",
                ["app"],
                registry=registry,
                multiprocess_mode="livesum",
            ),
            readers=Gauge(
                "barito_tail_readers",
                "Shared Kafka readers running now (one per app with clients).",
                ["app"],
                registry=registry,
                multiprocess_mode="livesum",
            ),
            lag=Gauge(
                "barito_tail_reader_lag",
                "Records between the app's shared reader and the end of its topic.",
                ["app"],
                registry=registry,
                multiprocess_mode="livemax",
            ),
        )


@dataclass(frozen=True)
class AlertMetrics:
    rules: Gauge
    transitions: Counter
    deliveries: Counter
    lag: Gauge
    errors: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry, *, errors: Counter) -> AlertMetrics:
        """``errors`` is the service's ``barito_errors_total``, already on ``registry``."""
        return cls(
            rules=Gauge(
                "barito_alert_rules",
                "Alert rules this replica evaluates now (the apps of its partitions).",
                ["app"],
                registry=registry,
                multiprocess_mode="livesum",
            ),
            transitions=Counter(
                "barito_alert_transitions_total",
                "Alert rule transitions decided here: firing, resolved, renotify.",
                ["app", "transition"],
                registry=registry,
            ),
            deliveries=Counter(
                "barito_alert_deliveries_total",
                "Notifications handed to a channel, by channel kind and final outcome.",
                ["kind", "outcome"],
                registry=registry,
            ),
            lag=Gauge(
                "barito_alert_evaluation_lag",
                "Records between the alert evaluator and the end of the app's topic.",
                ["app"],
                registry=registry,
                multiprocess_mode="livemax",
            ),
            errors=errors,
        )
