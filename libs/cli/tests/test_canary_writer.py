"""The canary's writer against a stand-in receiver: retries are safe, counted, and bounded."""

from __future__ import annotations

import asyncio
import json

import httpx

from barito_cli.canary_markers import Ledger, Path
from barito_cli.canary_metrics import CanaryMetrics, Tracker
from barito_cli.canary_writer import MarkerWriter


def _writer(
    answers: list[httpx.Response | Exception],
    requests: list[httpx.Request],
    *,
    give_up_s: float = 30,
) -> MarkerWriter:
    replies = iter(answers)

    def receiver(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = next(replies)
        if isinstance(answer, Exception):
            raise answer
        return answer

    tracker = Tracker(Ledger("r1", deadline_s=30), CanaryMetrics.create())
    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    return MarkerWriter(
        client,
        tracker,
        ingest_url="http://receiver/",
        secret="s3",
        interval_s=1,
        give_up_s=give_up_s,
    )


async def test_a_marker_is_retried_with_its_idempotency_key_until_acknowledged() -> None:
    requests: list[httpx.Request] = []
    writer = _writer(
        [
            httpx.Response(503, headers={"Retry-After": "0"}),
            httpx.ConnectError("refused"),
            httpx.Response(200, json={"accepted": 1}),
        ],
        requests,
    )
    marker = writer.tracker.new_marker()
    await writer.write(marker, asyncio.Event())

    assert len(requests) == 3
    assert {r.url.path for r in requests} == {"/api/v1/logs"}
    assert {r.headers["Idempotency-Key"] for r in requests} == {marker.idempotency_key}
    assert {r.headers["X-App-Secret"] for r in requests} == {"s3"}
    assert len({r.content for r in requests}) == 1
    assert json.loads(requests[0].content)["canary"] == {"run": "r1", "seq": 0}
    metrics = writer.tracker.metrics
    assert metrics.value("barito_canary_written_total") == 1
    assert metrics.value("barito_canary_errors_total", stage="write", reason="503") == 1
    assert metrics.value("barito_canary_errors_total", stage="write", reason="ConnectError") == 1
    assert writer.tracker.ledger.pending(Path.TAIL) == 1


async def test_a_marker_never_acknowledged_is_given_up_and_expected_nowhere() -> None:
    requests: list[httpx.Request] = []
    writer = _writer([httpx.Response(401)] * 10, requests, give_up_s=0.6)
    await writer.write(writer.tracker.new_marker(), asyncio.Event())

    # Retried after 0.25 s; the next wait (0.5 s) would end past the 0.6 s.
    assert len(requests) == 2
    metrics = writer.tracker.metrics
    assert metrics.value("barito_canary_errors_total", stage="write", reason="401") == 2
    assert metrics.value("barito_canary_write_failures_total") == 1
    assert metrics.value("barito_canary_written_total") == 0
    assert writer.tracker.ledger.pending(Path.TAIL) == 0


async def test_a_stopping_canary_gives_up_a_failing_marker_at_once() -> None:
    requests: list[httpx.Request] = []
    writer = _writer([httpx.Response(503, headers={"Retry-After": "30"})], requests)
    stop = asyncio.Event()
    stop.set()
    await writer.write(writer.tracker.new_marker(), stop)
    assert len(requests) == 1
    assert writer.tracker.metrics.value("barito_canary_write_failures_total") == 1
