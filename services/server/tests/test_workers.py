"""Two tail server worker processes on one port, as ``BARITO_WORKERS=2`` runs them.

The server is started as users start it (``python -m barito_server.main``);
websocket clients of one app are connected until both workers hold some,
and every client, whichever worker serves it, gets every event, in order.
A scrape of any worker counts the clients of both.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import orjson
import pytest

from barito_common.settings import KafkaSettings
from barito_testing.apps import Apps
from barito_testing.ports import free_port
from barito_testing.receiver import in_process_receiver
from barito_testing.server import Frames, websocket_tail
from barito_testing.worker_pool import worker_pool

pytestmark = [pytest.mark.stack, pytest.mark.timeout(300)]


@pytest.fixture
async def kafka(stack: Any) -> AsyncIterator[KafkaSettings]:
    yield KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"ws{uuid.uuid4().hex[:8]}."
    )


def _clients(metrics: str, app: str) -> float:
    match = re.search(rf'^barito_tail_clients{{app="{app}"}} (\S+)$', metrics, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def test_clients_of_one_app_on_both_workers_each_get_every_event(
    kafka: KafkaSettings, tmp_path: Any
) -> None:
    port = free_port()
    env = {
        "BARITO_WORKERS": "2",
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
    }
    async with in_process_receiver(kafka, produce_timeout_s=10.0) as receiver:
        apps = Apps(kafka, receiver.registry)
        await apps.producer.start()
        try:
            app = await apps.register()
            # Started after the app is registered: each worker is ready once it knows it.
            async with (
                worker_pool("server", port, env, tmp_path / "server.log") as pool,
                AsyncExitStack() as stack,
            ):
                url = f"ws://127.0.0.1:{port}/api/v1/tail/{app.profile.slug}"
                tails: list[Frames] = []
                # New connections until both workers serve some: the kernel decides who accepts.
                async with asyncio.timeout(60):
                    while len(tails) < 2 or min(pool.connections(port).values()) == 0:
                        tail = await stack.enter_async_context(websocket_tail(url, app.headers))
                        await tail.started()
                        tails.append(tail)

                # Any worker's scrape sums the clients of both.
                async with asyncio.timeout(30), httpx.AsyncClient() as client:
                    while True:
                        metrics = (await client.get(f"{pool.url}/metrics")).text
                        if _clients(metrics, app.profile.slug) == len(tails):
                            break
                        await asyncio.sleep(0.1)

                events = [{"seq": n} for n in range(200)]
                response = await receiver.client.post(
                    "/api/v1/logs",
                    content=b"\n".join(orjson.dumps(event) for event in events),
                    headers={**app.headers, "Content-Type": "application/x-ndjson"},
                )
                assert response.status_code == 200, response.text
                for tail in tails:
                    frames = await tail.events(len(events))
                    assert [frame["event"]["seq"] for frame in frames] == list(range(200))
        finally:
            await apps.producer.stop()
