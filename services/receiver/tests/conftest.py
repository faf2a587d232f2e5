"""A real receiver (in-process ASGI) on the real Kafka of the local stack.

Each test module gets its own topic prefix, so its apps, log topics and usage
topic are its own; ``apps.register`` plays the market's part by publishing an
AppProfile to the registry topic and creating the log topic, as the contract
says.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition
from asgi_lifespan import LifespanManager

from barito_common.app_registry import AppRegistry, publish_profile
from barito_common.chunk_codec import Event, decode_chunk
from barito_common.kafka import (
    Topics,
    create_admin,
    create_consumer,
    create_producer,
    ensure_topics,
    log_topic_spec,
)
from barito_common.schemas import AppProfile, AppStatus, RetiringSecret, hash_secret
from barito_common.settings import KafkaSettings
from barito_receiver.main import create_app
from barito_receiver.settings import ReceiverSettings


@dataclass
class App:
    profile: AppProfile
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-App-Secret": self.secret}


class Apps:
    """Registers apps the way the market will, and reads back what landed in Kafka."""

    def __init__(self, kafka: KafkaSettings, registry: AppRegistry) -> None:
        self.kafka = kafka
        self.topics = Topics(kafka.topic_prefix)
        self.registry = registry
        self.producer = create_producer(kafka)

    async def register(self, *, tps: int = 100_000, **changes: Any) -> App:
        slug = f"app-{uuid.uuid4().hex[:8]}"
        secret = secrets.token_urlsafe(24)
        profile = AppProfile(
            app_id=str(uuid.uuid4()),
            slug=slug,
            name=slug,
            group_id="g1",
            group_slug="group-one",
            status=AppStatus.ACTIVE,
            secret_hashes=[hash_secret(secret)],
            tps=tps,
            topic=self.topics.logs(slug),
            index_prefix=f"barito-{slug}",
            retention_days=7,
            capacity="small",
            updated_at=datetime.now(UTC),
        ).model_copy(update=changes)
        admin = create_admin(self.kafka)
        await admin.start()
        try:
            await ensure_topics(
                admin, [log_topic_spec(self.topics, slug, partitions=1, replication=1)]
            )
        finally:
            await admin.close()
        await self.publish(profile)
        return App(profile, secret)

    async def publish(self, profile: AppProfile) -> None:
        """Publish a profile and wait until the receiver's registry holds that version."""
        await publish_profile(self.producer, self.topics, profile)
        async with asyncio.timeout(15):
            while self.registry.by_slug(profile.slug) != profile:
                await asyncio.sleep(0.05)

    async def rotate(self, app: App, *, grace: timedelta) -> App:
        new_secret = secrets.token_urlsafe(24)
        old = RetiringSecret(hash=hash_secret(app.secret), valid_until=datetime.now(UTC) + grace)
        profile = app.profile.model_copy(
            update={"secret_hashes": [hash_secret(new_secret)], "retiring_secrets": [old]}
        )
        await self.publish(profile)
        return App(profile, new_secret)

    async def events(self, app: App, *, expect: int, wait_s: float = 15) -> list[Event]:
        """Every event in the app's topic, in order; waits for at least ``expect``."""
        consumer = create_consumer(self.kafka, app.profile.topic, group_id=None)
        await consumer.start()
        events: list[Event] = []
        try:
            async with asyncio.timeout(wait_s):
                while len(events) < expect:
                    batch = await consumer.getmany(timeout_ms=500)
                    for records in batch.values():
                        for record in records:
                            events.extend(decode_chunk(record.value))
            # Anything beyond what was expected would be a duplicate or a leak.
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    events.extend(decode_chunk(record.value))
        finally:
            await consumer.stop()
        return events

    async def chunk_count(self, app: App) -> int:
        """How many chunks (Kafka records) the app's topic holds."""
        consumer = create_consumer(self.kafka, app.profile.topic, group_id=None)
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(app.profile.topic) or set()
            ends = await consumer.end_offsets(
                [TopicPartition(app.profile.topic, p) for p in partitions]
            )
            return sum(ends.values())
        finally:
            await consumer.stop()


@dataclass
class Receiver:
    client: httpx.AsyncClient
    apps: Apps
    settings: ReceiverSettings


@pytest.fixture(scope="module")
async def receiver(stack: Any) -> AsyncIterator[Receiver]:
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"r{uuid.uuid4().hex[:8]}."
    )
    settings = ReceiverSettings(kafka=kafka, usage_window_s=1.0, produce_timeout_s=5.0)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        registry: AppRegistry = app.state.registry
        await registry.wait_loaded(30)
        apps = Apps(kafka, registry)
        await apps.producer.start()
        transport = httpx.ASGITransport(app=manager.app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as c:
                yield Receiver(c, apps, settings)
        finally:
            await apps.producer.stop()
