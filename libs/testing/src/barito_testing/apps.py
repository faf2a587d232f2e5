"""Registering apps the way the market will, and reading back what reached Kafka.

Shared by the receiver's tests and the cross-service tests: ``Apps.register``
publishes an AppProfile to the registry topic and creates the app's log topic,
which is the whole contract between the market and the data path. The registry
topic is always the installation's; the log topic is on the app's cluster (its
profile's ``cluster``, else the installation's), and read back from there.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import TopicPartition

from barito_common.app_registry import AppRegistry, publish_profile
from barito_common.chunk_codec import Event, decode_chunk
from barito_common.clusters import kafka_settings_for
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


@dataclass
class App:
    profile: AppProfile
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-App-Secret": self.secret}


class Apps:
    """Registers apps the way the market will, and reads back what landed in Kafka."""

    def __init__(self, kafka: KafkaSettings, *registries: AppRegistry) -> None:
        self.kafka = kafka
        self.topics = Topics(kafka.topic_prefix)
        self.registries = registries
        self.producer = create_producer(kafka)

    async def register(self, *, tps: int = 100_000, partitions: int = 1, **changes: Any) -> App:
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
            # Unique per test run, so every run owns (and may delete) its indices.
            index_prefix=f"{self.topics.prefix.replace('.', '-')}{slug}",
            retention_days=7,
            capacity="small",
            updated_at=datetime.now(UTC),
        ).model_copy(update=changes)
        await ensure_topics(
            self.kafka_of(profile),
            [log_topic_spec(self.topics, slug, partitions=partitions, replication=1)],
        )
        await self.publish(profile)
        return App(profile, secret)

    def kafka_of(self, profile: AppProfile) -> KafkaSettings:
        """The Kafka that holds the app's log topic."""
        return kafka_settings_for(self.kafka, profile.cluster)

    async def publish(self, profile: AppProfile) -> None:
        """Publish a profile and wait until every watched registry holds that version."""
        await publish_profile(self.producer, self.topics, profile)
        async with asyncio.timeout(15):
            while any(registry.by_slug(profile.slug) != profile for registry in self.registries):
                await asyncio.sleep(0.05)

    async def rotate(self, app: App, *, grace: timedelta) -> App:
        new_secret = secrets.token_urlsafe(24)
        old = RetiringSecret(hash=hash_secret(app.secret), valid_until=datetime.now(UTC) + grace)
        profile = app.profile.model_copy(
            update={"secret_hashes": [hash_secret(new_secret)], "retiring_secrets": [old]}
        )
        await self.publish(profile)
        return App(profile, new_secret)

    async def events(
        self, app: App, *, expect: int, wait_s: float = 15, kafka: KafkaSettings | None = None
    ) -> list[Event]:
        """Every event in the app's topic (on its cluster, or on ``kafka``), in order.

        Waits for at least ``expect``.
        """
        kafka = kafka or self.kafka_of(app.profile)
        consumer = create_consumer(kafka, app.profile.topic, group_id=None)
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

    async def chunk_count(self, app: App, *, kafka: KafkaSettings | None = None) -> int:
        """How many chunks (Kafka records) the app's topic holds (on its cluster, or ``kafka``)."""
        consumer = create_consumer(
            kafka or self.kafka_of(app.profile), app.profile.topic, group_id=None
        )
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(app.profile.topic) or set()
            ends = await consumer.end_offsets(
                [TopicPartition(app.profile.topic, p) for p in partitions]
            )
            return sum(ends.values())
        finally:
            await consumer.stop()


async def partition_count(kafka: KafkaSettings, topic: str) -> int | None:
    """How many partitions ``topic`` has on that Kafka; None when it does not exist."""
    admin = create_admin(kafka)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            return None
        (described,) = await admin.describe_topics([topic])
        return len(described["partitions"])
    finally:
        await admin.close()


async def topic_values(kafka: KafkaSettings, topic: str) -> list[bytes]:
    """Every value of ``topic`` up to its end now (tombstones left out), oldest first
    within each partition; [] when the topic does not exist."""
    partitions = [TopicPartition(topic, p) for p in range(await partition_count(kafka, topic) or 0)]
    if not partitions:
        return []
    consumer = create_consumer(kafka, group_id=None)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        values: list[bytes] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                values += [record.value for record in records if record.value]
        return values
    finally:
        await consumer.stop()
