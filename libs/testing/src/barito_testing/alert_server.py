"""Alert rules on a real server: publish rules as the market does, watch what the server decides.

Builds on :func:`barito_testing.server.tail_stack` (a real receiver and a
real server on the stack's Kafka) with the installation key that
:mod:`barito_testing.alert_channels` seals channels under, so the server
opens their secrets. Several stacks with one ``topic_prefix`` are replicas
of one installation (one consumer group ``<prefix>alerts``)::

    async with alert_stack(stack) as alerts:
        app = await alerts.register()
        await alerts.publish_rules(app, [threshold_rule(channel, count=3)], [channel])
        await alerts.wait_watching(app)
        await alerts.tail.post(app, [{"level": "error"}] * 3)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from aiokafka import TopicPartition

from barito_common.alerts import (
    AlertChannelSpec,
    AlertCondition,
    AlertConditionKind,
    AlertEvent,
    AlertMatch,
    AlertRuleSpec,
    AlertSeverity,
    RuleState,
    state_partition,
)
from barito_common.kafka import (
    ALERT_STATE_PARTITIONS,
    Topics,
    alert_topic_specs,
    create_consumer,
    create_producer,
    ensure_topics,
)
from barito_server.alerts import AlertService
from barito_server.alerts.state_log import StateLog, read_states
from barito_testing.apps import App
from barito_testing.server import TailStack, tail_stack

__all__ = ["INSTALLATION_KEY_TEXT", "AlertStack", "alert_rule", "alert_stack"]

# The key barito_testing.alert_channels seals test channels under.
INSTALLATION_KEY_TEXT = "a test installation key, 32+ characters long"


def alert_rule(
    channels: Sequence[AlertChannelSpec],
    kind: AlertConditionKind,
    *,
    count: int = 1,
    window_s: int = 10,
    match: AlertMatch | None = None,
    **changes: Any,
) -> AlertRuleSpec:
    """A rule notifying ``channels``; ``match`` defaults to level=error."""
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": f"{kind} rule",
        "match": match or AlertMatch(level="error"),
        "condition": AlertCondition(kind=kind, count=count, window_s=window_s),
        "severity": AlertSeverity.CRITICAL,
        "channel_ids": [channel.id for channel in channels],
    }
    return AlertRuleSpec(**(fields | changes))


@dataclass
class AlertStack:
    tail: TailStack
    replicas: list[TailStack] = field(default_factory=list)

    @property
    def topics(self) -> Topics:
        return Topics(self.tail.kafka.topic_prefix)

    @staticmethod
    def service(replica: TailStack) -> AlertService:
        service = replica.server_app.state.alerts
        assert isinstance(service, AlertService)
        return service

    async def register(self) -> App:
        return await self.tail.register()

    async def publish_rules(
        self, app: App, rules: list[AlertRuleSpec], channels: list[AlertChannelSpec]
    ) -> App:
        """Publish the app's profile with these rules and wait until every replica holds it."""
        profile = app.profile.model_copy(update={"alert_rules": rules, "alert_channels": channels})
        await self.tail.apps.publish(profile)
        async with asyncio.timeout(15):
            while any(r.server_registry.by_slug(profile.slug) != profile for r in self.replicas):
                await asyncio.sleep(0.05)
        return App(profile, app.secret)

    def watchers(self, app: App) -> list[int]:
        """Which replicas (by index) read the app's stream for its rules now."""
        return [
            i
            for i, replica in enumerate(self.replicas)
            if app.profile.slug in self.service(replica).watched_apps()
        ]

    async def wait_watching(self, app: App, *, watched: bool = True, wait_s: float = 30) -> None:
        """Until one replica reads the app's stream (events from now on count), or none does."""
        async with asyncio.timeout(wait_s):
            while bool(self.watchers(app)) != watched:
                await asyncio.sleep(0.05)

    async def states(self, app: App) -> dict[UUID, RuleState]:
        """The app's rules' last states on alerts.state, read to its end now."""
        partition = state_partition(app.profile.app_id, ALERT_STATE_PARTITIONS)
        states = await read_states(self.tail.kafka, partition)
        return {k: v for k, v in states.items() if v.app_id == app.profile.app_id}

    async def write_state(self, state: RuleState) -> None:
        """Write a state as a server would (a test's way to leave a crash behind)."""
        await ensure_topics(self.tail.kafka, alert_topic_specs(self.topics))
        producer = create_producer(self.tail.kafka)
        await producer.start()
        try:
            await StateLog(self.tail.kafka, producer).write_state(state)
        finally:
            await producer.stop()

    async def history(self, app: App, *, expect: int, wait_s: float = 30) -> list[AlertEvent]:
        """The app's AlertEvents on alerts.events; waits for at least ``expect``."""
        topic = self.topics.alert_events
        consumer = create_consumer(self.tail.kafka, group_id=None)
        await consumer.start()
        events: list[AlertEvent] = []
        try:
            partitions = [TopicPartition(topic, p) for p in range(3)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            async with asyncio.timeout(wait_s):
                while len(events) < expect:
                    for records in (await consumer.getmany(timeout_ms=500)).values():
                        events.extend(
                            AlertEvent.model_validate_json(r.value)
                            for r in records
                            if r.key == app.profile.app_id.encode() and r.value is not None
                        )
        finally:
            await consumer.stop()
        return events


@asynccontextmanager
async def alert_replica(
    stack: Any, topic_prefix: str, **server_settings: Any
) -> AsyncIterator[TailStack]:
    """One more server (and receiver) of the installation ``topic_prefix``."""
    async with tail_stack(
        stack,
        topic_prefix=topic_prefix,
        installation_key=INSTALLATION_KEY_TEXT,
        **server_settings,
    ) as replica:
        yield replica


@asynccontextmanager
async def alert_stack(
    stack: Any, *, topic_prefix: str | None = None, **server_settings: Any
) -> AsyncIterator[AlertStack]:
    prefix = topic_prefix or f"alert{uuid.uuid4().hex[:8]}."
    async with alert_replica(stack, prefix, **server_settings) as tail:
        yield AlertStack(tail, [tail])
