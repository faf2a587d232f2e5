"""A dedicated group's own flow: log topics from its group's Kafka, the rest on the installation's.

The group's Kafka is a second real broker (``second_kafka``), the
installation's the stack's; the flow runs in process with its real lifespan,
indexing into the stack's Elasticsearch as if it were the group's engine.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from barito_common.chunk_codec import Event, encode_chunk, format_event_time
from barito_common.kafka import (
    create_admin,
    create_producer,
    ensure_topics,
    log_topic_spec,
)
from barito_common.schemas import DeadLetter, UsageReport
from barito_common.search import SearchAdapter, create_search_adapter
from barito_common.settings import KafkaSettings, SearchSettings
from barito_flow.main import create_app as create_flow
from barito_flow.settings import FlowSettings
from barito_testing.apps import App, Apps
from barito_testing.flow import read_payloads

pytestmark = pytest.mark.stack

GROUP = "g-dedicated"
M = TypeVar("M", DeadLetter, UsageReport)


@dataclass
class GroupFlow:
    app: FastAPI
    client: httpx.AsyncClient
    apps: Apps
    kafka: KafkaSettings
    """The installation's Kafka."""
    logs_kafka: KafkaSettings
    """The group's Kafka."""
    search: SearchAdapter
    consumer_group: str
    search_url: str

    async def register(self, group_id: str, **changes: Any) -> App:
        """An app of ``group_id`` whose log topic is on the group's Kafka."""
        app = await self.apps.register(group_id=group_id, **changes)
        # As the provisioner makes it in a dedicated cluster.
        spec = log_topic_spec(self.apps.topics, app.profile.slug, partitions=1, replication=1)
        await ensure_topics(self.logs_kafka, [spec])
        return app

    async def write(self, app: App, *chunks: bytes) -> None:
        producer = create_producer(self.logs_kafka)
        await producer.start()
        try:
            for chunk in chunks:
                await producer.send_and_wait(app.profile.topic, chunk)
        finally:
            await producer.stop()

    async def count(self, app: App, expected: int) -> int:
        pattern = f"{app.profile.index_prefix}-*"
        async with asyncio.timeout(90):
            while True:
                await self.search.refresh(pattern)
                if (count := await self.search.count(pattern)) >= expected:
                    return count
                await asyncio.sleep(0.5)

    async def committed(self, admin: AIOKafkaAdminClient) -> dict[TopicPartition, int]:
        """The flow's committed offsets on the group's Kafka."""
        offsets = await admin.list_consumer_group_offsets(self.consumer_group)
        return {tp: meta.offset for tp, meta in offsets.items()}

    def errors(self, stage: str) -> float:
        value = self.app.state.metrics.get_sample_value("barito_errors_total", {"stage": stage})
        return value or 0.0

    async def read(self, topic: str, kind: type[M], enough: Callable[[list[M]], bool]) -> list[M]:
        """``topic`` of the installation's Kafka from the start, until ``enough`` (or 60 s)."""
        return await read_payloads(self.kafka, topic, kind, enough)


@asynccontextmanager
async def group_flow(stack: Any, second_kafka: Any) -> AsyncIterator[GroupFlow]:
    """GROUP's own flow, set up as the provisioner's drivers set it, with prefixes of its own."""
    prefix = f"d{uuid.uuid4().hex[:8]}"
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"{prefix}.")
    search_settings = SearchSettings(url=stack.elasticsearch_url, index_prefix=f"{prefix}-")
    settings = FlowSettings(
        kafka=kafka,
        search=search_settings,
        group_id=f"{prefix}-flow",
        logs_bootstrap_servers=second_kafka.bootstrap_servers,
        app_group_id=GROUP,
        retry_cap_s=2.0,
        usage_window_s=1.0,
    )
    flow_app = create_flow(settings)
    async with AsyncExitStack() as exits:
        manager = await exits.enter_async_context(
            LifespanManager(flow_app, startup_timeout=30, shutdown_timeout=60)
        )
        client = await exits.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://f")
        )
        search = create_search_adapter(search_settings)
        exits.push_async_callback(search.close)
        exits.push_async_callback(search.delete_index, f"{prefix}-*")
        apps = Apps(kafka, flow_app.state.registry)
        await apps.producer.start()
        exits.push_async_callback(apps.producer.stop)
        yield GroupFlow(
            app=flow_app,
            client=client,
            apps=apps,
            kafka=kafka,
            logs_kafka=settings.logs_kafka,
            search=search,
            consumer_group=settings.group_id,
            search_url=stack.elasticsearch_url,
        )


def _chunk(*records: dict[str, Any]) -> bytes:
    now = format_event_time(datetime.now(UTC))
    return encode_chunk([Event(now, record) for record in records])


async def test_a_group_flow_indexes_its_groups_kafka_and_reports_to_the_installations(
    stack, second_kafka
) -> None:
    async with group_flow(stack, second_kafka) as f:
        cluster = second_kafka.coordinates(search_url=f.search_url)
        own = await f.register(GROUP, cluster=cluster)
        stray = await f.register("g-other", cluster=cluster)
        await f.write(stray, _chunk({"seq": 0}))
        # Three events, then a chunk that cannot be decoded: a dead letter.
        await f.write(own, _chunk({"seq": 1}, {"seq": 2}, {"seq": 3}), b"\x00not a chunk")

        assert await f.count(own, 3) == 3
        letters = await f.read(
            f.apps.topics.dead_letters,
            DeadLetter,
            lambda read: any(letter.app_slug == own.profile.slug for letter in read),
        )
        assert [letter.app_id for letter in letters] == [own.profile.app_id]
        assert letters[0].topic == own.profile.topic

        def reports_of(read: list[UsageReport]) -> list[UsageReport]:
            return [r for r in read if r.source == "flow" and r.app_id == own.profile.app_id]

        reports = reports_of(
            await f.read(
                f.apps.topics.usage,
                UsageReport,
                lambda read: (
                    sum(r.events for r in reports_of(read)) >= 3
                    and sum(r.dead_lettered for r in reports_of(read)) >= 1
                ),
            )
        )
        assert (sum(r.events for r in reports), sum(r.dead_lettered for r in reports)) == (3, 1)

        # The other group's app: reported, neither indexed nor committed past.
        async with asyncio.timeout(30):
            while f.errors("foreign_topic") < 1:
                await asyncio.sleep(0.2)
        await asyncio.sleep(2)
        assert await f.search.count(f"{stray.profile.index_prefix}-*") == 0
        assert f.errors("foreign_topic") == 1

        own_partition = TopicPartition(own.profile.topic, 0)
        admin = create_admin(f.logs_kafka)
        await admin.start()
        try:
            # Usage is counted before the offsets are committed.
            async with asyncio.timeout(15):
                while (committed := await f.committed(admin)).get(own_partition) != 2:
                    await asyncio.sleep(0.2)
            listed = await admin.list_topics()
        finally:
            await admin.close()
        assert committed == {own_partition: 2}
        # The registry, usage and dead-letter topics are the installation's alone.
        assert {t for t in listed if t.startswith(f.apps.topics.prefix)} == {
            own.profile.topic,
            stray.profile.topic,
        }

        ready = await f.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["kafka"] == "ok"
        assert ready.json()["checks"]["logs-kafka"] == "ok"


async def test_a_group_flows_retention_deletes_only_its_groups_expired_indices(
    stack, second_kafka
) -> None:
    async with group_flow(stack, second_kafka) as f:
        own = await f.apps.register(group_id=GROUP, retention_days=3)
        other = await f.apps.register(group_id="g-other", retention_days=3)
        today = datetime.now(UTC).date()
        expired, kept = today - timedelta(days=3), today - timedelta(days=2)

        def daily(app: App, day: date) -> str:
            return f"{app.profile.index_prefix}-{day:%Y.%m.%d}"

        await f.search.bulk_index(
            [(daily(app, day), "1", {"a": 1}) for app in (own, other) for day in (expired, kept)],
            refresh=True,
        )

        response = await f.client.post("/api/v1/retention/run")

        assert response.status_code == 200, response.text
        assert response.json()["deleted"] == [daily(own, expired)]
        assert await f.search.list_indices(f"{own.profile.index_prefix}-*") == [daily(own, kept)]
        assert sorted(await f.search.list_indices(f"{other.profile.index_prefix}-*")) == [
            daily(other, expired),
            daily(other, kept),
        ]
