"""One app's limit holds across receiver processes, as they come and go.

Three receivers are started as users start them (``python -m
barito_receiver.main``) on the stack's Kafka, one app is registered with a
limit of 300 events/s, and senders overload it steadily, spread over every
receiver that is up. The events the receivers accept (their 200s), counted
over a window of several seconds, come to the limit within 10 %: with three
receivers, and again after one is killed outright and another started.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from barito_common.app_registry import AppRegistry
from barito_common.settings import KafkaSettings
from barito_testing.apps import App, Apps
from barito_testing.ports import free_port
from barito_testing.worker_pool import WorkerPool, worker_pool

pytestmark = [pytest.mark.stack, pytest.mark.timeout(300)]

LIMIT = 300  # events/s
EVENTS_PER_POST = 25
SENDERS = 6
POSTS_PER_SENDER_S = 5.0  # 6 x 5 x 25 = 750 events/s asked: 2.5x the limit
WINDOW_S = 15.0


@dataclass
class Overload:
    """Senders posting to every receiver in ``targets`` in turn; the accepted events, timed."""

    app: App
    targets: list[str]
    accepted: list[tuple[float, int]] = field(default_factory=list)
    refused: int = 0

    async def send(self, client: httpx.AsyncClient, sender: int) -> None:
        body = b"".join(b'{"sender":%d,"n":%d}\n' % (sender, n) for n in range(EVENTS_PER_POST))
        headers = {**self.app.headers, "Content-Type": "application/x-ndjson"}
        loop = asyncio.get_running_loop()
        for turn in itertools.count(sender):
            # Paced, whatever the answer: the load, not the answers, sets the demand.
            pause = asyncio.create_task(asyncio.sleep(1 / POSTS_PER_SENDER_S))
            url = self.targets[turn % len(self.targets)]
            try:
                response = await client.post(f"{url}/api/v1/logs", content=body, headers=headers)
            except httpx.HTTPError:
                pass  # a receiver just killed
            else:
                if response.status_code == 200:
                    self.accepted.append((loop.time(), EVENTS_PER_POST))
                elif response.status_code == 429:
                    self.refused += 1
                else:
                    response.raise_for_status()
            await pause

    async def rate(self, window_s: float) -> float:
        """Events/s accepted over the next ``window_s``."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(window_s)  # the measurement itself, not a synchronisation
        return sum(n for at, n in self.accepted if at >= start) / (loop.time() - start)


async def _instances(client: httpx.AsyncClient, url: str) -> float | None:
    text = (await client.get(f"{url}/metrics")).text
    for family in text_string_to_metric_families(text):
        if family.name == "barito_rate_instances":
            return family.samples[0].value
    return None


async def _until_all_count(urls: list[str], instances: int, wait_s: float = 30) -> None:
    """Until every receiver counts ``instances`` sharing the limit."""
    async with httpx.AsyncClient() as client, asyncio.timeout(wait_s):
        while [url for url in urls if await _instances(client, url) != instances]:
            await asyncio.sleep(0.2)


@pytest.fixture
async def kafka(stack: Any) -> AsyncIterator[tuple[KafkaSettings, Apps]]:
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"rl{uuid.uuid4().hex[:8]}."
    )
    registry = AppRegistry(kafka)  # creates the registry topic for the receivers
    await registry.start()
    await registry.wait_loaded(30)
    apps = Apps(kafka, registry)
    await apps.producer.start()
    try:
        yield kafka, apps
    finally:
        await apps.producer.stop()
        await registry.stop()


async def test_three_receivers_hold_one_apps_limit_also_when_one_dies_and_another_starts(
    kafka: tuple[KafkaSettings, Apps], tmp_path: Path
) -> None:
    settings, apps = kafka
    app = await apps.register(tps=LIMIT)
    env = {
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": settings.topic_prefix,
        "BARITO_BURST_SECONDS": "1",
        "BARITO_LOG_LEVEL": "WARNING",
    }

    def receiver(n: int) -> Any:
        return worker_pool("receiver", free_port(), env, tmp_path / f"receiver-{n}.log")

    async with AsyncExitStack() as running, httpx.AsyncClient(timeout=10) as client:
        pools: list[WorkerPool] = list(
            await asyncio.gather(*(running.enter_async_context(receiver(n)) for n in range(3)))
        )
        overload = Overload(app, [pool.url for pool in pools])
        senders = [asyncio.create_task(overload.send(client, n)) for n in range(SENDERS)]
        try:
            await _until_all_count(overload.targets, 3)
            await overload.rate(3.0)  # the buckets' first fill drains
            three = await overload.rate(WINDOW_S)
            assert abs(three - LIMIT) <= 0.1 * LIMIT, (three, overload.refused)

            killed = pools[0]
            overload.targets.remove(killed.url)
            killed.process.send_signal(signal.SIGKILL)
            await killed.process.wait()
            added = await running.enter_async_context(receiver(3))
            overload.targets.append(added.url)
            # The dead one drops out of the others' count; the new one is counted.
            await _until_all_count(overload.targets, 3)
            await overload.rate(3.0)
            after = await overload.rate(WINDOW_S)
            assert abs(after - LIMIT) <= 0.1 * LIMIT, (after, overload.refused)
        finally:
            for sender in senders:
                sender.cancel()
            await asyncio.gather(*senders, return_exceptions=True)
