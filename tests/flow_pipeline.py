"""A whole data path in one test process: a real receiver and a real flow, on the stack.

Both run as ASGI apps with their real lifespans against the real Kafka and
search engine; each pipeline has its own topic prefix and index prefix.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from asgi_lifespan import LifespanManager

from barito_common.search import SearchAdapter, create_search_adapter
from barito_common.settings import KafkaSettings, SearchSettings
from barito_flow.main import create_app as create_flow
from barito_flow.settings import FlowSettings
from barito_receiver.main import create_app as create_receiver
from barito_receiver.settings import ReceiverSettings
from tests.support.apps import App, Apps


@dataclass
class Pipeline:
    receiver: httpx.AsyncClient
    flow: httpx.AsyncClient
    apps: Apps
    search: SearchAdapter
    kafka: KafkaSettings
    search_settings: SearchSettings

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


@asynccontextmanager
async def pipeline(
    stack: Any, engine: str, *, with_flow: bool = True, **flow_overrides: Any
) -> AsyncIterator[Pipeline]:
    prefix = f"e{uuid.uuid4().hex[:8]}"
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"{prefix}.")
    search_settings = SearchSettings(
        engine=engine, url=stack.search_urls[engine], index_prefix=f"{prefix}-"
    )
    receiver_app = create_receiver(ReceiverSettings(kafka=kafka))
    # A group of its own: pipelines of other tests joining would rebalance it.
    flow_settings = FlowSettings(
        kafka=kafka,
        search=search_settings,
        retry_cap_s=2.0,
        **{"group_id": f"{prefix}-flow", **flow_overrides},
    )
    async with AsyncExitStack() as exits:
        receiver = await exits.enter_async_context(
            LifespanManager(receiver_app, startup_timeout=30, shutdown_timeout=30)
        )
        registries = [receiver_app.state.registry]
        await registries[0].wait_loaded(30)
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app), base_url="http://r")
        ]
        if with_flow:
            flow_app = create_flow(flow_settings)
            flow = await exits.enter_async_context(
                LifespanManager(flow_app, startup_timeout=30, shutdown_timeout=60)
            )
            # Apps.register then waits until the flow knows an app too.
            registries.append(flow_app.state.registry)
            clients.append(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=flow.app), base_url="http://f")
            )
        for client in clients:
            await exits.enter_async_context(client)
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
        )
