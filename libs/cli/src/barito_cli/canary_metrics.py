"""The canary's Prometheus metrics, kept in step with its ledger, and the endpoint serving them.

Every verdict of the ledger (``canary_markers``) is counted here the moment it
is made, and the exit summary is read back from these same counters, so a
bounded run's verdict and a long-running canary's dashboard never disagree.
``docs/operations.md`` says what each metric means and which alerts to set.

    metrics = CanaryMetrics.create()
    tracker = Tracker(Ledger(run, deadline_s=60), metrics)
    async with serve_metrics(metrics.registry, "0.0.0.0", 18085):
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import statistics
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import uvicorn
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from barito_cli.canary_markers import PATHS, Ledger, Marker, Path, marker_id

__all__ = ["CanaryMetrics", "ListenError", "Tracker", "serve_metrics"]

log = logging.getLogger("barito_cli.canary")

# The tail's goal is p99 under 100 ms, search's under 2 s (docs/performance.md);
# each scale is finest around its goal and reaches past the default deadline.
_TAIL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_SEARCH_BUCKETS = (0.25, 0.5, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 30, 60, 120, 300)
_WRITE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# Latencies kept for the exit summary's percentiles: the last this many per path.
_SUMMARY_SAMPLES = 10_000


class ListenError(Exception):
    """The metrics endpoint cannot listen where it was told to (a port in use, a bad address)."""


@dataclass(frozen=True)
class CanaryMetrics:
    registry: CollectorRegistry
    written: Counter
    write_failures: Counter
    write_duration: Histogram
    errors: Counter
    seen: Counter
    missing: Counter
    duplicates: Counter
    out_of_order: Counter
    pending: Gauge
    ack_to_tail: Histogram
    ack_to_searchable: Histogram
    tail_reconnects: Counter
    tail_dropped: Counter

    @classmethod
    def create(cls) -> CanaryMetrics:
        r = CollectorRegistry()
        path = ["path"]
        metrics = cls(
            registry=r,
            written=Counter(
                "barito_canary_written_total",
                "Markers the receiver acknowledged (2xx); only these are expected downstream.",
                registry=r,
            ),
            write_failures=Counter(
                "barito_canary_write_failures_total",
                "Markers given up on: no 2xx within the deadline, or the canary stopped.",
                registry=r,
            ),
            write_duration=Histogram(
                "barito_canary_write_duration_seconds",
                "From a marker's first POST to its 2xx, retries included.",
                buckets=_WRITE_BUCKETS,
                registry=r,
            ),
            errors=Counter(
                "barito_canary_errors_total",
                "Failed requests, by stage (write, tail, search) and reason (status or error).",
                ["stage", "reason"],
                registry=r,
            ),
            seen=Counter(
                "barito_canary_seen_total",
                "Acknowledged markers read back within the deadline, by path (tail, search).",
                path,
                registry=r,
            ),
            missing=Counter(
                "barito_canary_missing_total",
                "Acknowledged markers not read back within the deadline, by path.",
                path,
                registry=r,
            ),
            duplicates=Counter(
                "barito_canary_duplicates_total",
                "Markers delivered again on the tail, or indexed again in search, by path.",
                path,
                registry=r,
            ),
            out_of_order=Counter(
                "barito_canary_out_of_order_total",
                "Markers the tail delivered after one with a higher sequence number.",
                registry=r,
            ),
            pending=Gauge(
                "barito_canary_pending",
                "Acknowledged markers not yet read back and not yet past the deadline, by path.",
                path,
                registry=r,
            ),
            ack_to_tail=Histogram(
                "barito_canary_ack_to_tail_seconds",
                "From the receiver's 2xx to the marker's event frame on the live tail.",
                buckets=_TAIL_BUCKETS,
                registry=r,
            ),
            ack_to_searchable=Histogram(
                "barito_canary_ack_to_searchable_seconds",
                "From the receiver's 2xx to the first search that found the marker "
                "(at most one search interval late).",
                buckets=_SEARCH_BUCKETS,
                registry=r,
            ),
            tail_reconnects=Counter(
                "barito_canary_tail_reconnects_total",
                "Attempts to open the tail again after it ended, broke off or was refused.",
                registry=r,
            ),
            tail_dropped=Counter(
                "barito_canary_tail_dropped_total",
                "Events the tail server skipped for this canary ({'dropped': n} frames).",
                registry=r,
            ),
        )
        # Every labelled series exists from the start, so rate() and alerts see a 0, not nothing.
        for p in PATHS:
            for counter in (metrics.seen, metrics.missing, metrics.duplicates):
                counter.labels(p.value)
            metrics.pending.labels(p.value).set(0)
        return metrics

    def value(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


class Tracker:
    """The ledger and the metrics, changed together: each verdict is counted as it is made."""

    def __init__(
        self,
        ledger: Ledger,
        metrics: CanaryMetrics,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger = ledger
        self.metrics = metrics
        self.clock = clock
        self.wall_clock = wall_clock
        self._latencies = {p: deque[float](maxlen=_SUMMARY_SAMPLES) for p in PATHS}

    def new_marker(self) -> Marker:
        return self.ledger.new_marker(sent_at=self.wall_clock())

    def acked(self, marker: Marker, *, first_attempt_at: float) -> None:
        now = self.clock()
        self.metrics.written.inc()
        self.metrics.write_duration.observe(now - first_attempt_at)
        for found in self.ledger.acked(marker.seq, at=now):
            self._count_seen(found.path, found.latency_s)

    def write_failed(self, marker: Marker, *, reason: str) -> None:
        self.metrics.write_failures.inc()
        log.warning(
            "A canary marker was never acknowledged; it is not expected downstream.",
            extra={"ctx": {"run": marker.run, "seq": marker.seq, "error": reason}},
        )

    def error(self, stage: str, reason: str) -> None:
        self.metrics.errors.labels(stage, reason).inc()

    def seen(self, path: Path, event: Mapping[str, Any], *, document_id: str | None = None) -> None:
        sighting = self.ledger.seen(path, event, at=self.clock(), document_id=document_id)
        if sighting.out_of_order:
            self.metrics.out_of_order.inc()
        if sighting.kind == "first" and sighting.latency_s is not None:
            self._count_seen(path, sighting.latency_s)
        elif sighting.kind == "late" and sighting.latency_s is not None:
            self._histogram(path).observe(sighting.latency_s)
        elif sighting.kind == "duplicate":
            self.metrics.duplicates.labels(path.value).inc()
            log.warning(
                "A canary marker was read back twice.",
                extra={"ctx": {"path": path.value, "marker": marker_id(event)}},
            )

    def expire(self) -> None:
        """Count markers past their deadline as missing; refresh the pending gauges."""
        for path, seq in self.ledger.expire(now=self.clock()):
            self.metrics.missing.labels(path.value).inc()
            log.warning(
                "A canary marker is missing.",
                extra={"ctx": {"path": path.value, "run": self.ledger.run, "seq": seq}},
            )
        self.ledger.prune(now=self.clock())
        for path in PATHS:
            self.metrics.pending.labels(path.value).set(self.ledger.pending(path))

    def summary(self) -> dict[str, Any]:
        """The run's verdict, read from the exported counters."""
        m = self.metrics
        paths: dict[str, Any] = {}
        for path in PATHS:
            p = path.value
            samples = sorted(self._latencies[path])
            paths[p] = {
                "seen": int(m.value("barito_canary_seen_total", path=p)),
                "missing": int(m.value("barito_canary_missing_total", path=p)),
                "duplicates": int(m.value("barito_canary_duplicates_total", path=p)),
                "pending": self.ledger.pending(path),
                "latency_s": _percentiles(samples),
            }
        paths["tail"]["out_of_order"] = int(m.value("barito_canary_out_of_order_total"))
        paths["tail"]["dropped"] = int(m.value("barito_canary_tail_dropped_total"))
        paths["tail"]["reconnects"] = int(m.value("barito_canary_tail_reconnects_total"))
        written = int(m.value("barito_canary_written_total"))
        errors = {
            f"{s.labels['stage']}:{s.labels['reason']}": int(s.value)
            for metric in m.errors.collect()
            for s in metric.samples
            if s.name.endswith("_total")
        }
        ok = written > 0 and not any(
            paths[p.value][kind] for p in PATHS for kind in ("missing", "duplicates", "pending")
        )
        return {
            "run": self.ledger.run,
            "ok": ok,
            "written": written,
            "write_failures": int(m.value("barito_canary_write_failures_total")),
            "errors": errors,
            **paths,
        }

    def _count_seen(self, path: Path, latency_s: float) -> None:
        self.metrics.seen.labels(path.value).inc()
        self._histogram(path).observe(latency_s)
        self._latencies[path].append(latency_s)

    def _histogram(self, path: Path) -> Histogram:
        return self.metrics.ack_to_tail if path is Path.TAIL else self.metrics.ack_to_searchable


def _percentiles(samples: list[float]) -> dict[str, float] | None:
    if not samples:
        return None
    cuts = statistics.quantiles(samples, n=100, method="inclusive") if len(samples) > 1 else []
    return {
        "p50": round(statistics.median(samples), 4),
        "p99": round(cuts[98] if cuts else samples[0], 4),
        "max": round(samples[-1], 4),
    }


def _metrics_app(registry: CollectorRegistry) -> Starlette:
    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    # Ready whenever alive: a canary taken out of its Service would stop being
    # scraped exactly when its metrics matter.
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "canary"})

    return Starlette(
        routes=[Route("/metrics", metrics), Route("/healthz", healthz), Route("/readyz", healthz)]
    )


class _Server(uvicorn.Server):
    # The canary takes SIGTERM and SIGINT itself (to drain and give its
    # verdict); uvicorn would otherwise take them over.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> AsyncIterator[None]:
    """/metrics, /healthz and /readyz on ``host:port`` in this event loop, until the block ends."""
    # Bound here, so a port in use is a clear error before anything is written.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family)
    except OSError as err:
        raise ListenError(f"the metrics endpoint cannot listen on {host}:{port}: {err}") from err
    config = uvicorn.Config(
        _metrics_app(registry), log_config=None, lifespan="off", access_log=False
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()
