"""A whole data path in one test process: a real receiver and a real flow, on the stack.

Both run as ASGI apps with their real lifespans against the real Kafka and
search engine; each pipeline has its own topic prefix and index prefix.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import orjson
from asgi_lifespan import LifespanManager

from barito_common.kafka import create_consumer
from barito_common.schemas import DeadLetter, UsageReport, from_bytes
from barito_common.search import SearchAdapter, create_search_adapter
from barito_common.settings import KafkaSettings, SearchSettings
from barito_flow.main import create_app as create_flow
from barito_flow.settings import FlowSettings
from barito_testing.apps import App, Apps
from barito_testing.receiver import in_process_receiver

M = TypeVar("M", DeadLetter, UsageReport)


async def read_payloads(
    kafka: KafkaSettings,
    topic: str,
    kind: type[M],
    enough: Callable[[list[M]], bool],
    *,
    linger_ms: int = 0,
) -> list[M]:
    """``topic``'s payloads from the start, read until ``enough`` of them (or 60 s), then
    ``linger_ms`` longer."""
    consumer = create_consumer(kafka, topic, group_id=None)
    await consumer.start()
    read: list[M] = []
    try:
        async with asyncio.timeout(60):
            while not enough(read):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    read += [from_bytes(kind, record.value) for record in records]
        if linger_ms:
            for records in (await consumer.getmany(timeout_ms=linger_ms)).values():
                read += [from_bytes(kind, record.value) for record in records]
    finally:
        await consumer.stop()
    return read


@dataclass
class Pipeline:
    receiver: httpx.AsyncClient
    flow: httpx.AsyncClient
    apps: Apps
    search: SearchAdapter
    kafka: KafkaSettings
    search_settings: SearchSettings
    """The engine itself, as the test reads it (the flow may reach it through a proxy)."""
    group_id: str
    """The flow's consumer group, for flow processes the test starts itself."""

    async def send_ndjson(
        self,
        app: App,
        events: list[dict[str, Any]],
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        """Send as fluentd out_http does (NDJSON), retrying 429/503 as it is told to."""
        body = b"".join(orjson.dumps(event) + b"\n" for event in events)
        sent = {**app.headers, "Content-Type": "application/x-ndjson", **(headers or {})}
        for _ in range(120):
            response = await self.receiver.post(
                "/api/v1/logs", content=body, headers=sent, params=params
            )
            if response.status_code == 200:
                assert response.json() == {"accepted": len(events)}
                return
            assert response.status_code in (429, 503), response.text
            await asyncio.sleep(0.5)
        raise AssertionError("the receiver never accepted the batch")

    async def wait_for_count(self, app: App, expected: int, *, timeout_s: float = 120) -> int:
        pattern = f"{app.profile.index_prefix}-*"
        count = -1
        async with asyncio.timeout(timeout_s):
            while True:
                try:
                    await self.search.refresh(pattern)
                    count = await self.search.count(pattern)
                except Exception:
                    count = -1
                if count >= expected:
                    # Settle: anything arriving after the expected total is a duplicate.
                    await asyncio.sleep(2)
                    await self.search.refresh(pattern)
                    return await self.search.count(pattern)
                await asyncio.sleep(0.5)

    async def dead_letters(self, app: App, *, expect: int) -> list[DeadLetter]:
        """The app's dead letters, read until there are ``expect`` (and a little longer)."""

        def mine(letters: list[DeadLetter]) -> list[DeadLetter]:
            return [letter for letter in letters if letter.app_slug == app.profile.slug]

        letters = await self._read(
            self.apps.topics.dead_letters, DeadLetter, lambda read: len(mine(read)) >= expect
        )
        return mine(letters)

    async def flow_usage(self, app: App, *, events: int, dead_lettered: int) -> list[UsageReport]:
        """The flow's usage reports of the app, read until they add up to these totals."""

        def mine(reports: list[UsageReport]) -> list[UsageReport]:
            return [r for r in reports if r.source == "flow" and r.app_id == app.profile.app_id]

        def reached(reports: list[UsageReport]) -> bool:
            return (
                sum(r.events for r in mine(reports)) >= events
                and sum(r.dead_lettered for r in mine(reports)) >= dead_lettered
            )

        return mine(await self._read(self.apps.topics.usage, UsageReport, reached))

    async def _read(self, topic: str, kind: type[M], enough: Callable[[list[M]], bool]) -> list[M]:
        # A little longer: anything counted or sent twice shows up here.
        return await read_payloads(self.kafka, topic, kind, enough, linger_ms=2500)


@asynccontextmanager
async def pipeline(
    stack: Any,
    engine: str,
    *,
    with_flow: bool = True,
    flow_search_url: str | None = None,
    **flow_overrides: Any,
) -> AsyncIterator[Pipeline]:
    """A receiver and (``with_flow``) a flow on the stack, with prefixes of their own.

    The flow's settings take ``flow_overrides``; it reaches the engine at
    ``flow_search_url`` (e.g. a proxy in front of it) when that is given.
    """
    prefix = f"e{uuid.uuid4().hex[:8]}"
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"{prefix}.")
    search_settings = SearchSettings(
        engine=engine, url=stack.search_urls[engine], index_prefix=f"{prefix}-"
    )
    # A group of its own: pipelines of other tests joining would rebalance it.
    group_id = f"{prefix}-flow"
    flow_settings = FlowSettings(
        kafka=kafka,
        search=search_settings.model_copy(update={"url": flow_search_url or search_settings.url}),
        group_id=group_id,
        **{"retry_cap_s": 2.0, **flow_overrides},
    )
    async with AsyncExitStack() as exits:
        receiver = await exits.enter_async_context(in_process_receiver(kafka))
        registries = [receiver.registry]
        clients = [receiver.client]
        if with_flow:
            flow_app = create_flow(flow_settings)
            flow = await exits.enter_async_context(
                LifespanManager(flow_app, startup_timeout=30, shutdown_timeout=60)
            )
            # Apps.register then waits until the flow knows an app too.
            registries.append(flow_app.state.registry)
            clients.append(
                await exits.enter_async_context(
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=flow.app), base_url="http://f"
                    )
                )
            )
        search = create_search_adapter(search_settings)
        exits.push_async_callback(search.close)
        exits.push_async_callback(search.delete_index, f"{prefix}-*")
        apps = Apps(kafka, *registries)
        await apps.producer.start()
        exits.push_async_callback(apps.producer.stop)
        yield Pipeline(
            receiver=clients[0],
            flow=clients[-1],
            apps=apps,
            search=search,
            kafka=kafka,
            search_settings=search_settings,
            group_id=group_id,
        )
