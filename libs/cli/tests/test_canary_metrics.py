"""The canary's verdict is read from the counters it exports, and its endpoint serves them."""

from __future__ import annotations

import socket

import httpx
import pytest

from barito_cli.canary_markers import Ledger, Path
from barito_cli.canary_metrics import CanaryMetrics, ListenError, Tracker, serve_metrics


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _tracker() -> tuple[Tracker, Clock]:
    clock = Clock()
    tracker = Tracker(Ledger("r1", deadline_s=10), CanaryMetrics.create(), clock=clock)
    return tracker, clock


def test_a_run_where_every_marker_came_back_once_is_ok_with_its_latencies() -> None:
    tracker, clock = _tracker()
    for _ in range(3):
        marker = tracker.new_marker()
        tracker.acked(marker, first_attempt_at=clock.now - 0.01)
        clock.now += 0.02
        tracker.seen(Path.TAIL, marker.event())
        clock.now += 1.0
        tracker.seen(Path.SEARCH, marker.event(), document_id=f"d{marker.seq}")
    tracker.expire()
    summary = tracker.summary()
    assert summary["ok"] is True
    assert summary["written"] == 3
    assert summary["tail"]["seen"] == summary["search"]["seen"] == 3
    assert summary["tail"]["latency_s"]["max"] == pytest.approx(0.02)
    assert summary["search"]["latency_s"]["p50"] == pytest.approx(1.02)
    metrics = tracker.metrics
    assert metrics.value("barito_canary_ack_to_tail_seconds_count") == 3
    assert metrics.value("barito_canary_ack_to_searchable_seconds_count") == 3
    assert metrics.value("barito_canary_pending", path="search") == 0


def test_a_missing_or_duplicated_marker_fails_the_run_and_shows_in_the_counters() -> None:
    tracker, clock = _tracker()
    marker = tracker.new_marker()
    tracker.acked(marker, first_attempt_at=clock.now)
    tracker.seen(Path.TAIL, marker.event())
    tracker.seen(Path.TAIL, marker.event())
    tracker.expire()
    assert tracker.metrics.value("barito_canary_pending", path="search") == 1
    clock.now += 10
    tracker.expire()
    summary = tracker.summary()
    assert summary["ok"] is False
    assert (summary["tail"]["duplicates"], summary["search"]["missing"]) == (1, 1)
    assert tracker.metrics.value("barito_canary_duplicates_total", path="tail") == 1
    assert tracker.metrics.value("barito_canary_missing_total", path="search") == 1
    assert tracker.metrics.value("barito_canary_pending", path="search") == 0


def test_a_run_that_wrote_nothing_is_not_ok() -> None:
    tracker, _ = _tracker()
    tracker.error("write", "401")
    summary = tracker.summary()
    assert summary["ok"] is False
    assert summary["errors"] == {"write:401": 1}


async def test_the_endpoint_serves_metrics_and_health_and_refuses_a_taken_port() -> None:
    metrics = CanaryMetrics.create()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with (
        serve_metrics(metrics.registry, "127.0.0.1", port),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client,
    ):
        text = (await client.get("/metrics")).text
        assert 'barito_canary_missing_total{path="tail"} 0.0' in text
        assert "barito_canary_ack_to_searchable_seconds_bucket" in text
        for path in ("/healthz", "/readyz"):
            assert (await client.get(path)).json()["status"] == "ok"
        with pytest.raises(ListenError, match=f"127.0.0.1:{port}"):
            async with serve_metrics(metrics.registry, "127.0.0.1", port):
                pass
