"""One shared reader per app, bounded per-client queues, and limits that answer at once."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import websockets

from barito_testing.server import Frames, TailStack, ndjson_tail, tail_stack, websocket_tail

pytestmark = pytest.mark.stack

PADDING = "x" * 400


@pytest.fixture(scope="module")
async def tail(stack: Any) -> AsyncIterator[TailStack]:
    # Room for two 500-event chunks: the reading client must never fall
    # behind by a whole chunk on a loaded machine, the stalled one still does.
    async with tail_stack(stack, client_queue_events=1000, max_clients_per_app=100) as running:
        yield running


def gauge(metrics: str, name: str, app: str) -> float:
    match = re.search(rf'^{name}{{app="{app}"}} (\S+)$', metrics, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def test_a_client_that_stops_reading_is_told_what_it_missed_and_slows_no_one(tail) -> None:
    app = await tail.register()
    # A tiny receive window and a one-message client queue: once the kernel
    # buffers are full, the server cannot write to this client at all.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    port = int(tail.server_url.rsplit(":", 1)[1])
    await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", port))
    url = tail.url(app.profile.slug, ws=True)
    async with (
        websocket_tail(url, app.headers, sock=raw, max_queue=1, compression=None) as stalled,
        websocket_tail(url, app.headers) as reader,
    ):
        await stalled.started()
        await reader.started()
        total = 20 * 500
        # The reading client reads while the events arrive, as a live tail does.
        reading = asyncio.create_task(reader.events(total))
        for start in range(0, total, 500):
            await tail.post(app, [{"seq": i, "pad": PADDING} for i in range(start, start + 500)])
        # The reading client gets everything, in order, while the other stalls.
        frames = await reading
        assert [f["event"]["seq"] for f in frames] == list(range(total))

        # The stalled client now reads: some events, then a count of the skipped ones.
        delivered: list[int] = []
        dropped = 0
        async with asyncio.timeout(60):
            while len(delivered) + dropped < total:
                frame = await stalled.next()
                if "event" in frame:
                    delivered.append(frame["event"]["seq"])
                dropped += frame.get("dropped", 0)
        assert dropped > 0
        assert delivered == sorted(delivered)
        assert len(delivered) + dropped == total
    metrics = await tail.metrics()
    assert re.search(
        rf'barito_events_dropped_total{{app="{app.profile.slug}",reason="slow_client"}} {dropped}',
        metrics,
    )


async def test_a_hundred_clients_of_one_app_share_one_reader(tail) -> None:
    app = await tail.register(partitions=2)
    slug = app.profile.slug
    async with AsyncExitStack() as clients:
        tails: list[Frames] = []
        for n in range(100):
            opener = websocket_tail if n % 2 else ndjson_tail
            url = tail.url(slug, ws=opener is websocket_tail)
            tails.append(await clients.enter_async_context(opener(url, app.headers)))
        await asyncio.gather(*(t.started() for t in tails))
        metrics = await tail.metrics()
        assert gauge(metrics, "barito_tail_readers", slug) == 1
        assert gauge(metrics, "barito_tail_clients", slug) == 100

        # The 101st is refused at once with a clear error.
        async with httpx.AsyncClient(base_url=tail.server_url) as client:
            refused = await client.get(f"/api/v1/tail/{slug}", headers=app.headers)
        assert refused.status_code == 429
        assert "100 tails" in refused.json()["error"]["message"]

        for part in range(3):
            await tail.post(app, [{"part": part, "seq": i} for i in range(10)])
        received = await asyncio.gather(*(t.events(30) for t in tails))
        for frames in received:
            by_part = {
                p: [f["event"]["seq"] for f in frames if f["event"]["part"] == p] for p in range(3)
            }
            assert by_part == {p: list(range(10)) for p in range(3)}
    # The reader stops after the last client leaves.
    async with asyncio.timeout(15):
        while gauge(await tail.metrics(), "barito_tail_readers", slug) != 0:
            await asyncio.sleep(0.1)
    assert gauge(await tail.metrics(), "barito_tail_clients", slug) == 0


async def test_the_server_wide_limit_refuses_a_websocket_with_429(stack) -> None:
    async with tail_stack(stack, max_clients=2) as small:
        one, two = await small.register(), await small.register()
        async with (
            ndjson_tail(small.url(one.profile.slug), one.headers) as a,
            ndjson_tail(small.url(one.profile.slug), one.headers) as b,
        ):
            await a.started()
            await b.started()
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with websocket_tail(small.url(two.profile.slug, ws=True), two.headers):
                    pass
            assert refused.value.response.status_code == 429
            assert b"too_many_tails" in refused.value.response.body
        # Slots are given back when tails end (the server sees the disconnects
        # a moment after the clients leave).
        async with asyncio.timeout(15):
            while gauge(await small.metrics(), "barito_tail_clients", one.profile.slug) != 0:
                await asyncio.sleep(0.1)
        async with ndjson_tail(small.url(two.profile.slug), two.headers) as c:
            await c.started()
