"""One Kafka consumer per topic the market reads, run as tasks of the market's lifespan.

    runner = ConsumerRunner(
        settings.kafka, sessions, registry=app.state.metrics, republish=republish_group
    )
    await runner.start()   # returns at once; the consumers reach for Kafka in the background
    ...
    await runner.stop()

Delivery is at least once: a partition's offset is committed only after every
record before it is in the database, and the handlers apply each record once
(usage and dead letters by key, provisioning events by their identity), so a
redelivery after a crash or rebalance changes nothing. A record whose handler
fails for a reason that may pass (the database restarting, Kafka refusing the
profiles an event makes ``republish`` publish) is retried, holding
its partition, until it succeeds; a record that is not a valid payload can
never succeed and is skipped, logged and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.kafka import (
    Topics,
    TopicSpec,
    create_consumer,
    create_topics_if_missing,
    usage_topic_spec,
)
from barito_common.schemas import PayloadError
from barito_common.settings import KafkaSettings
from barito_common.telemetry import EventCounters
from barito_market.consumers.dead_letters import handle_dead_letter
from barito_market.consumers.outcome import Outcome
from barito_market.consumers.provisioning_events import GroupRepublisher, handle_provision_event
from barito_market.consumers.usage import handle_usage_report
from barito_market.usage_rollup import prune_applied_keys

__all__ = ["ConsumerRunner", "group_id_for"]

log = logging.getLogger(__name__)

Handler = Callable[[async_sessionmaker[AsyncSession], bytes], Awaitable[Outcome]]

_RETRY_BASE_S = 0.5
_RETRY_CAP_S = 10.0
_PRUNE_EVERY_S = 3600.0


def group_id_for(topic_prefix: str) -> str:
    """The consumer group of the market's consumers: ``barito-market`` for ``barito.``.

    Derived from the topic prefix because installations sharing one Kafka
    cluster (and test runs) read different topics and must not share a group,
    or each would steal the others' partitions.

    >>> group_id_for("barito."), group_id_for("t1a2b3c.")
    ('barito-market', 't1a2b3c-market')
    """
    return f"{topic_prefix.rstrip('.') or 'barito'}-market"


@dataclass(frozen=True)
class _Subscription:
    stage: str
    topic: str
    handler: Handler


class ConsumerRunner:
    """The market's three consumers and the pruning of applied usage keys."""

    def __init__(
        self,
        kafka: KafkaSettings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        registry: CollectorRegistry,
        republish: GroupRepublisher,
        poll_timeout_ms: int = 500,
    ) -> None:
        self._kafka = kafka
        self._sessions = sessions
        self._group_id = group_id_for(kafka.topic_prefix)
        self._poll_timeout_ms = poll_timeout_ms
        topics = Topics(kafka.topic_prefix)
        self._topics = topics
        self._subscriptions = [
            _Subscription("usage", topics.usage, handle_usage_report),
            _Subscription("dead_letters", topics.dead_letters, handle_dead_letter),
            _Subscription(
                "provisioning",
                topics.provisioning_events,
                functools.partial(handle_provision_event, republish=republish),
            ),
        ]
        self._counters = EventCounters.create(
            registry,
            received="Records read from the usage, dead-letter and provisioning-event topics.",
            sent="Records applied to the market's database.",
            dropped="Records not applied, by reason (duplicate, unknown app, invalid payload).",
        )
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start every consumer in the background; a down Kafka never blocks start-up."""
        self._tasks = [
            asyncio.create_task(self._consume_forever(sub), name=f"market-consume-{sub.stage}")
            for sub in self._subscriptions
        ]
        self._tasks.append(asyncio.create_task(self._prune_forever(), name="market-prune-usage"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _ensure_topics(self) -> None:
        # The consumers may start before any producer created these topics;
        # the specs are the producers' own: flow makes the DLQ with 3
        # partitions, the provisioner its events topic (its journal) with one.
        await create_topics_if_missing(
            self._kafka,
            [
                usage_topic_spec(self._topics),
                TopicSpec(self._topics.dead_letters, partitions=3),
                TopicSpec(self._topics.provisioning_events),
            ],
        )

    async def _consume_forever(self, sub: _Subscription) -> None:
        delay = _RETRY_BASE_S
        while True:
            try:
                await self._ensure_topics()
                consumer = create_consumer(self._kafka, sub.topic, group_id=self._group_id)
                await consumer.start()
                try:
                    delay = _RETRY_BASE_S
                    await self._consume(consumer, sub)
                finally:
                    await consumer.stop()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                # Kafka unreachable, a rebalance that lost our partitions, a
                # failed commit: start over from the last committed offsets.
                self._counters.errors.labels(f"consume_{sub.stage}").inc()
                log.warning(
                    "Market consumer stopped; restarting.",
                    extra={"ctx": {"topic": sub.topic, "error": repr(err)}},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_CAP_S)

    async def _consume(self, consumer: AIOKafkaConsumer, sub: _Subscription) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=self._poll_timeout_ms, max_records=200)
            for partition, records in batches.items():
                for record in records:
                    await self._handle(sub, record)
                # Committed after the records it covers are durable, never before.
                await consumer.commit({partition: records[-1].offset + 1})

    async def _handle(self, sub: _Subscription, record: ConsumerRecord[bytes, bytes]) -> None:
        delay = _RETRY_BASE_S
        while True:
            try:
                outcome = await sub.handler(self._sessions, record.value or b"")
                break
            except PayloadError as err:
                outcome = Outcome.skipped("invalid_payload")
                log.warning(
                    "Skipped a record that is not a valid payload.",
                    extra={"ctx": {"topic": sub.topic, "offset": record.offset, "error": str(err)}},
                )
                break
            except Exception as err:
                self._counters.errors.labels(f"apply_{sub.stage}").inc()
                log.warning(
                    "Could not apply a record; retrying it.",
                    extra={
                        "ctx": {"topic": sub.topic, "offset": record.offset, "error": repr(err)}
                    },
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_CAP_S)
        self._counters.received.labels(outcome.app).inc()
        if outcome.applied:
            self._counters.sent.labels(outcome.app).inc()
        else:
            self._counters.dropped.labels(outcome.app, outcome.reason).inc()

    async def _prune_forever(self) -> None:
        while True:
            try:
                pruned = await prune_applied_keys(self._sessions, now=datetime.now(UTC))
                if pruned:
                    log.info("Pruned applied usage keys.", extra={"ctx": {"rows": pruned}})
            except Exception as err:
                self._counters.errors.labels("prune_usage_keys").inc()
                log.warning("Pruning usage keys failed.", extra={"ctx": {"error": repr(err)}})
            await asyncio.sleep(_PRUNE_EVERY_S)
