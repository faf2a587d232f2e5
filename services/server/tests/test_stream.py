"""Live tail end to end: events posted to the real receiver reach tail clients from Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import websockets
from aiokafka.errors import KafkaConnectionError

from barito_common.schemas import hash_secret
from barito_server import tail_request
from barito_testing.server import TailStack, ndjson_tail, tail_stack, websocket_tail

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
async def tail(stack: Any) -> AsyncIterator[TailStack]:
    async with tail_stack(stack, max_since_s=600) as running:
        yield running


def batch(tag: str, count: int, **fields: Any) -> list[dict[str, Any]]:
    return [{"message": f"{tag} {i}", "seq": i, "tag": tag, **fields} for i in range(count)]


def seqs(frames: list[dict[str, Any]]) -> list[Any]:
    return [f["event"]["seq"] for f in frames]


async def test_posted_events_reach_a_websocket_and_an_ndjson_client_in_order(tail) -> None:
    app = await tail.register(partitions=1)
    async with (
        websocket_tail(tail.url(app.profile.slug, ws=True), app.headers) as ws,
        ndjson_tail(tail.url(app.profile.slug), app.headers) as stream,
    ):
        await ws.started()
        await stream.started()
        for part in range(3):
            await tail.post(app, batch(f"p{part}", 20))
        expected = [(f"p{part}", i) for part in range(3) for i in range(20)]
        for client in (ws, stream):
            frames = await client.events(60)
            assert [(f["event"]["tag"], f["event"]["seq"]) for f in frames] == expected
            first = frames[0]["event"]
            assert first["message"] == "p0 0"
            assert first["@timestamp"].endswith("Z")
            assert all(isinstance(f["resume"], str) and f["resume"] for f in frames)


@pytest.mark.parametrize(
    ("params", "wanted"),
    [
        ({"q": "needle"}, {1, 4}),
        ({"regex": r"order-\d{3}\b"}, {2}),
        ({"level": "error,WARN"}, {0, 3}),
        ({"field": ["http.status=500", "svc=api"]}, {4}),
    ],
    ids=["substring", "regex", "level", "field"],
)
async def test_each_filter_lets_through_exactly_the_matching_events(
    tail, params: dict[str, Any], wanted: set[int]
) -> None:
    app = await tail.register()
    events = [
        {"seq": 0, "level": "ERROR", "message": "disk full", "svc": "db"},
        {"seq": 1, "level": "info", "message": "a needle here", "svc": "api"},
        {"seq": 2, "level": "info", "message": "paid order-123 ok", "http": {"status": 200}},
        {"seq": 3, "level": "warn", "message": "order-1234 slow", "svc": "api"},
        {"seq": 4, "level": "info", "message": "needle", "svc": "api", "http": {"status": 500}},
        {"seq": 5, "level": "info", "message": "done", "svc": "db", "http": {"status": 500}},
    ]
    async with ndjson_tail(tail.url(app.profile.slug, **params), app.headers) as stream:
        await stream.started()
        await tail.post(app, events)
        # A marker that matches every filter closes the test's window.
        await tail.post(app, [marker := {"seq": 99, "level": "error", "message": "needle"}])
        marker.update({"svc": "api", "http": {"status": 500}, "x": "order-999"})
        await tail.post(app, [marker])
        frames = await stream.events(len(wanted) + 1)
        assert set(seqs(frames)[:-1]) == wanted
        assert seqs(frames)[-1] == 99


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("regex=(unclosed", "invalid_filter"),
        ("regex=(a)%5C1", "invalid_filter"),
        # Linear in the event, but 10,005 RE2 instructions per byte: too costly.
        ("regex=" + quote(r"(\w+\s?){1000}x"), "invalid_filter"),
        ("field=nothing", "invalid_filter"),
        ("since=-5", "invalid_since"),
        ("since=100000", "invalid_since"),
        ("since=soon", "invalid_since"),
        ("resume=garbage", "invalid_resume"),
        ("since=5&resume=abc", "invalid_start"),
    ],
)
async def test_invalid_parameters_answer_400_before_streaming(tail, query: str, code: str) -> None:
    app = await tail.register()
    async with httpx.AsyncClient(base_url=tail.server_url) as client:
        response = await client.get(f"/api/v1/tail/{app.profile.slug}?{query}", headers=app.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websocket_tail(tail.url(app.profile.slug, ws=True) + f"?{query}", app.headers):
            pass
    assert refused.value.response.status_code == 400


async def test_since_replays_the_last_seconds_then_continues_live(tail) -> None:
    app = await tail.register(partitions=2)
    await tail.post(app, batch("old", 10))
    async with ndjson_tail(tail.url(app.profile.slug, since=300), app.headers) as stream:
        started = await stream.started()
        assert started["started"]["from"] == "since"
        replayed = await stream.events(10)
        assert sorted(seqs(replayed)) == list(range(10))
        await tail.post(app, batch("new", 5))
        live = await stream.events(5)
        assert [f["event"]["tag"] for f in live] == ["new"] * 5
    # Without since the tail starts at the end: nothing old is replayed.
    async with ndjson_tail(tail.url(app.profile.slug), app.headers) as stream:
        await stream.started()
        await tail.post(app, batch("later", 3))
        assert {f["event"]["tag"] for f in await stream.events(3)} == {"later"}


async def test_resume_after_a_disconnect_yields_every_event_exactly_once(tail) -> None:
    app = await tail.register(partitions=3)
    received: list[int] = []
    async with websocket_tail(tail.url(app.profile.slug, ws=True), app.headers) as ws:
        await ws.started()
        # One request is one chunk in one partition: stopping after 4 of its
        # 10 events leaves a partly delivered chunk behind the token.
        await tail.post(app, [{"seq": i} for i in range(10)])
        frames = await ws.events(4)
        received += seqs(frames)
        token = frames[-1]["resume"]
    # Written while no client is connected.
    for start in range(10, 40, 10):
        await tail.post(app, [{"seq": i} for i in range(start, start + 10)])
    async with ndjson_tail(tail.url(app.profile.slug, resume=token), app.headers) as stream:
        assert (await stream.started())["started"]["from"] == "resume"
        frames = await stream.events(36)
        received += seqs(frames)
        await tail.post(app, [{"seq": 40}])
        received += seqs(await stream.events(1))
        assert await stream.quiet() == []
    assert sorted(received) == list(range(41))
    assert len(received) == len(set(received))


async def test_a_heartbeat_token_resumes_where_the_tail_stood(tail) -> None:
    app = await tail.register()
    await tail.post(app, [{"seq": 0}])
    async with ndjson_tail(tail.url(app.profile.slug), app.headers) as stream:
        token = (await stream.started())["resume"]
    await tail.post(app, [{"seq": 1}, {"seq": 2}])
    async with ndjson_tail(tail.url(app.profile.slug, resume=token), app.headers) as stream:
        await stream.started()
        assert seqs(await stream.events(2)) == [1, 2]
        assert await stream.quiet(1.0) == []


async def test_two_apps_never_mix_and_wrong_credentials_are_refused(tail) -> None:
    one, two = await tail.register(), await tail.register()
    async with (
        ndjson_tail(tail.url(one.profile.slug), one.headers) as first,
        websocket_tail(tail.url(two.profile.slug, ws=True), two.headers) as second,
    ):
        await first.started()
        await second.started()
        await tail.post(one, batch("one", 5))
        await tail.post(two, batch("two", 7))
        await tail.post(one, batch("one", 5))
        assert {f["event"]["tag"] for f in await first.events(10)} == {"one"}
        assert {f["event"]["tag"] for f in await second.events(7)} == {"two"}
        assert await first.quiet(1.0) == []
        assert await second.quiet(0.5) == []

    slug = one.profile.slug
    refusals = {
        "no credentials": ({}, 401),
        "wrong secret": ({"X-App-Secret": "not-the-secret"}, 401),
        "another app's secret": (two.headers, 404),
        "unknown app": (one.headers, 404),
    }
    async with httpx.AsyncClient(base_url=tail.server_url) as client:
        for name, (headers, status) in refusals.items():
            path = "/api/v1/tail/no-such-app" if name == "unknown app" else f"/api/v1/tail/{slug}"
            response = await client.get(path, headers=headers)
            assert response.status_code == status, name
            assert response.json()["error"]["message"], name

    # The group's secret also opens a tail; the path names the app.
    group_secret = "group-secret-for-tail"
    grouped = await tail.register(group_secret_hashes=[hash_secret(group_secret)])
    async with ndjson_tail(
        tail.url(grouped.profile.slug), {"X-App-Group-Secret": group_secret}
    ) as stream:
        assert (await stream.started())["started"]["app"] == grouped.profile.slug


async def test_a_refused_websocket_gets_the_status_and_json_error(tail) -> None:
    app = await tail.register()
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websocket_tail(tail.url(app.profile.slug, ws=True), {"X-App-Secret": "wrong"}):
            pass
    assert refused.value.response.status_code == 401
    assert b'"unauthenticated"' in refused.value.response.body


async def test_a_bug_preparing_a_tail_is_a_logged_500_and_only_kafka_trouble_is_a_503(
    tail, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = await tail.register()
    url = tail.url(app.profile.slug)

    def broken_session(*_: Any, **__: Any) -> None:
        # Stands in for any bug of ours past the Kafka start point.
        raise AttributeError("a bug in the tail path")

    monkeypatch.setattr(tail_request, "TailSession", broken_session)
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.get(url, headers=app.headers)
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal"
    failed = "Preparing a tail failed unexpectedly."
    logged = [r for r in caplog.records if r.getMessage() == failed]
    assert logged and "a bug in the tail path" in str(logged[0].exc_info)
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websocket_tail(tail.url(app.profile.slug, ws=True), app.headers):
            pass
    assert refused.value.response.status_code == 500
    assert b'"internal"' in refused.value.response.body

    def kafka_away(*_: Any, **__: Any) -> None:
        # What aiokafka raises when the brokers drop the connection.
        raise KafkaConnectionError("brokers went away")

    monkeypatch.setattr(tail_request, "TailSession", kafka_away)
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.get(url, headers=app.headers)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert "Kafka is not answering" in answer.json()["error"]["message"]


async def test_an_idle_tail_gets_heartbeats_and_is_closed_after_the_idle_timeout(stack) -> None:
    async with tail_stack(stack, heartbeat_s=0.2, idle_timeout_s=4.0) as quick:
        app = await quick.register()
        async with ndjson_tail(quick.url(app.profile.slug), app.headers) as stream:
            await stream.started()
            beat = await stream.next()
            assert "heartbeat" in beat and beat["resume"]
            async with asyncio.timeout(30):
                while "closed" not in (frame := await stream.next()):
                    pass
            assert frame["closed"]["code"] == "idle_timeout"


async def test_websocket_tails_are_sent_uncompressed_unless_the_server_is_told_to(
    tail, stack
) -> None:
    # The client offers permessage-deflate, as browsers do.
    app = await tail.register(partitions=1)
    async with websocket_tail(tail.url(app.profile.slug, ws=True), app.headers) as plain:
        assert plain.extensions == ""

    async with tail_stack(stack, websocket_compression=True) as compressing:
        app = await compressing.register(partitions=1)
        async with websocket_tail(
            compressing.url(app.profile.slug, ws=True), app.headers
        ) as frames:
            assert "permessage-deflate" in frames.extensions
            await frames.started()
            await compressing.post(app, batch("z", 30))
            assert seqs(await frames.events(30)) == list(range(30))
