"""The provisioner's harness: the real provisioner in-process, and the market's side of it.

``running_provisioner`` runs the provisioner app with its real lifespan until
it is ready (journal read, consumer joined). ``market_stand_in`` plays the
market on the real Kafka: it registers apps in the registry (creating each
log topic with one partition, as the market does), publishes
ProvisionCommands and follows the ProvisionEvents that come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from barito_common.app_registry import apps_topic_spec
from barito_common.capacity import CapacityTemplate
from barito_common.kafka import Topics, create_consumer, create_producer, ensure_topics
from barito_common.schemas import (
    InfrastructureState,
    ProvisionCommand,
    ProvisionCommandKind,
    ProvisionEvent,
    from_bytes,
    to_bytes,
)
from barito_common.settings import KafkaSettings, SearchSettings
from barito_provisioner.journal import provisioning_topic_specs
from barito_provisioner.main import create_app
from barito_provisioner.settings import ProvisionerSettings
from barito_testing.apps import App, Apps, partition_count
from barito_testing.stack import shipped_templates

__all__ = [
    "Events",
    "MarketStandIn",
    "market_stand_in",
    "provisioner_settings",
    "running_provisioner",
    "stored_index_template",
]

S = InfrastructureState
SMALL = shipped_templates()["small"]


@dataclass
class Events:
    """Every ProvisionEvent published under the test's prefix, as it arrives."""

    consumer: AIOKafkaConsumer
    seen: list[ProvisionEvent] = field(default_factory=list)

    async def follow(self) -> None:
        async for record in self.consumer:
            self.seen.append(from_bytes(ProvisionEvent, record.value))

    def of(self, command: ProvisionCommand) -> list[ProvisionEvent]:
        return [e for e in self.seen if e.command_id == command.command_id]

    async def wait_for(
        self, check: Callable[[list[ProvisionEvent]], bool], *, timeout_s: float = 60
    ) -> list[ProvisionEvent]:
        async with asyncio.timeout(timeout_s):
            while not check(self.seen):
                await asyncio.sleep(0.1)
        return self.seen

    async def until_state(
        self, command: ProvisionCommand, state: S, *, timeout_s: float = 60
    ) -> ProvisionEvent:
        await self.wait_for(
            lambda _: any(e.state is state for e in self.of(command)), timeout_s=timeout_s
        )
        return next(e for e in self.of(command) if e.state is state)


@dataclass
class MarketStandIn:
    """The market's side of the contract: apps in the registry, commands out."""

    kafka: KafkaSettings
    topics: Topics
    apps: Apps
    events: Events
    producer: Any

    async def register(self, group_id: str) -> App:
        """An app of ``group_id`` whose topic the market created with one partition."""
        return await self.apps.register(group_id=group_id)

    async def register_without_topic(self, like: App) -> App:
        """Another app of ``like``'s group, whose topic nobody has created yet."""
        slug = f"app-{uuid.uuid4().hex[:8]}"
        profile = like.profile.model_copy(
            update={
                "app_id": str(uuid.uuid4()),
                "slug": slug,
                "name": slug,
                "topic": self.topics.logs(slug),
                "index_prefix": f"{self.topics.prefix.replace('.', '-')}{slug}",
            }
        )
        await self.apps.publish(profile)
        return App(profile, like.secret)

    async def command(
        self,
        kind: ProvisionCommandKind,
        infrastructure_id: str,
        group_id: str,
        template: CapacityTemplate | dict[str, Any] = SMALL,
    ) -> ProvisionCommand:
        body = template if isinstance(template, dict) else template.model_dump(mode="json")
        command = ProvisionCommand(
            command_id=uuid.uuid4(),
            kind=kind,
            infrastructure_id=infrastructure_id,
            group_id=group_id,
            capacity=str(body.get("name", "custom")),
            template=body,
            issued_at=datetime.now(UTC),
        )
        await self.send(command)
        return command

    async def send(self, command: ProvisionCommand) -> None:
        await self.producer.send_and_wait(
            self.topics.provisioning_commands,
            to_bytes(command),
            key=command.infrastructure_id.encode(),
        )

    async def settled_partitions(self, topic: str, expected: int | None) -> int | None:
        """The topic's partition count once the broker's metadata shows ``expected``.

        The controller commits a change before the broker's metadata cache has
        it, so a describe right after a step may still see the old count; the
        last count read is returned when ``expected`` never shows within 30 s.
        """
        deadline = asyncio.get_running_loop().time() + 30
        while (count := await self.partitions(topic)) != expected:
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.2)
        return count

    async def partitions(self, topic: str) -> int | None:
        return await partition_count(self.kafka, topic)


def provisioner_settings(
    stack: Any, kafka: KafkaSettings, engine: str, **changes: Any
) -> ProvisionerSettings:
    """Settings that poll and retry fast, on ``engine`` of the stack, in a group of their own."""
    defaults: dict[str, Any] = {"poll_interval_s": 0.5, "step_attempts": 2, "retry_base_s": 0.2}
    return ProvisionerSettings(
        kafka=kafka,
        search=SearchSettings(engine=engine, url=stack.search_urls[engine]),
        consumer_group=f"{kafka.topic_prefix}provisioner",
        **{**defaults, **changes},
    )


@asynccontextmanager
async def running_provisioner(settings: ProvisionerSettings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        await asyncio.wait_for(app.state.provisioner.ready.wait(), 60)
        yield app


@asynccontextmanager
async def market_stand_in(stack: Any) -> AsyncIterator[MarketStandIn]:
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"p{uuid.uuid4().hex[:8]}."
    )
    topics = Topics(kafka.topic_prefix)
    async with AsyncExitStack() as exits:
        apps = Apps(kafka)
        await apps.producer.start()
        exits.push_async_callback(apps.producer.stop)
        producer = create_producer(kafka)
        await producer.start()
        exits.push_async_callback(producer.stop)
        # The market's topics, and the provisioner's (as it makes them at
        # start-up), so the events can be followed before it runs.
        await ensure_topics(kafka, [apps_topic_spec(topics), *provisioning_topic_specs(topics)])
        consumer = create_consumer(
            kafka,
            topics.provisioning_events,
            group_id=None,
            metadata_max_age_ms=500,
            isolation_level="read_uncommitted",
        )
        await consumer.start()
        exits.push_async_callback(consumer.stop)
        events = Events(consumer)
        following = asyncio.create_task(events.follow())

        async def stop_following() -> None:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following

        exits.push_async_callback(stop_following)
        yield MarketStandIn(kafka, topics, apps, events, producer)


async def stored_index_template(url: str, name: str) -> dict[str, Any] | None:
    """The index template ``name`` as the engine at ``url`` holds it, or None."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/_index_template/{name}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    template: dict[str, Any] = response.json()["index_templates"][0]["index_template"]
    return template
