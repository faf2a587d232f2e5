"""One consume loop per topic the market reads, run as tasks of the market's lifespan.

    runner = ConsumerRunner(
        settings.kafka, sessions, registry=app.state.metrics, republish=republish_group
    )
    await runner.start()   # returns at once; the consumers reach for Kafka in the background
    ...
    await runner.stop()

Each topic is read by :class:`barito_common.kafka.ConsumeLoop` and so under
its one failure policy (architecture §2): a partition's offset is committed
only after every record before it is in the database, and the handlers apply
each record once (usage and dead letters by key, provisioning events by their
identity, alert events by their id), so a redelivery after a crash or
rebalance changes nothing. A
record whose handler fails for a reason that may pass (the database away,
Kafka refusing the profiles an event makes ``republish`` publish) is retried
until it succeeds; a record that is not a valid payload, or that fails for any
other reason, goes to the dead records (``<prefix>records.dlq``) and its
partition moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.alerts import AlertEvent
from barito_common.kafka import (
    ConsumeLoop,
    Polling,
    Subscription,
    Topics,
    TopicSpec,
    alert_topic_specs,
    dead_letter_topic_spec,
    is_transient,
    provisioning_topic_specs,
    usage_topic_spec,
)
from barito_common.schemas import DeadLetter, ProvisionEvent, UsageReport, from_bytes
from barito_common.settings import KafkaSettings
from barito_common.telemetry import EventCounters
from barito_market.consumers.alert_events import apply_alert_event
from barito_market.consumers.dead_letters import apply_dead_letter
from barito_market.consumers.outcome import Outcome
from barito_market.consumers.provisioning_events import GroupRepublisher, apply_provision_event
from barito_market.consumers.usage import apply_usage_report
from barito_market.usage.rollup import prune_applied_keys

__all__ = ["ConsumerRunner", "database_away", "group_id_for"]

log = logging.getLogger(__name__)

P = TypeVar("P", bound=BaseModel)

_PRUNE_EVERY_S = 3600.0

# SQLAlchemy's errors for a database that is away or busy (a refused or lost
# connection, a full pool, SQLite's "database is locked"), and Postgres' error
# classes for the same (08 connection, 40 deadlock or serialization, 53
# resources, 57 shutting down or starting, 58 system): they may pass, so a
# record failing with one is retried, not dead-lettered. asyncpg's errors come
# wrapped (SQLAlchemy's from the driver's), hence the test on every link.
_DATABASE_AWAY = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
_TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})


def _database_link_away(link: BaseException) -> bool:
    if isinstance(link, _DATABASE_AWAY):
        return True
    if isinstance(link, sa_exc.DBAPIError) and link.connection_invalidated:
        return True
    sqlstate = getattr(link, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES


def database_away(err: BaseException) -> bool:
    """Whether a handler's error may pass: Kafka or the database away (then retried).

    >>> database_away(sa_exc.OperationalError("SELECT 1", {}, OSError("refused")))
    True
    >>> database_away(sa_exc.IntegrityError("INSERT", {}, ValueError("duplicate")))
    False
    >>> import asyncpg
    >>> deadlock = asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
    >>> try:
    ...     raise sa_exc.DBAPIError("UPDATE", {}, deadlock) from deadlock
    ... except sa_exc.DBAPIError as wrapped:
    ...     database_away(wrapped)
    True
    """
    return is_transient(err, also=_database_link_away)


def group_id_for(topic_prefix: str, loop: str) -> str:
    """The consumer group of one market consumer: ``barito-market-usage`` for ``barito.``.

    One group per topic: consumers of different topics sharing a group would
    rebalance together, so one joining or leaving (a start, a stop, a Kafka
    hiccup) would pause all of them, and a stop could wait on another's join.
    Derived from the topic prefix because installations sharing one Kafka
    cluster (and test runs) read different topics and must not share a group,
    or each would steal the others' partitions.

    >>> group_id_for("barito.", "usage"), group_id_for("t1a2b3c.", "alert_events")
    ('barito-market-usage', 't1a2b3c-market-alert-events')
    """
    return f"{topic_prefix.rstrip('.') or 'barito'}-market-{loop.replace('_', '-')}"


class ConsumerRunner:
    """The market's consumers and the pruning of applied usage keys."""

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
        self._polling = Polling(timeout_ms=poll_timeout_ms)
        self._counters = EventCounters.create(
            registry,
            received="Records read from the topics the market consumes.",
            sent="Records applied to the market's database.",
            dropped="Records not applied, by reason (duplicate, unknown app, invalid payload).",
        )
        topics = Topics(kafka.topic_prefix)
        # Each topic is created, if missing, with its producer's own spec: the
        # consumers may start before any producer did.
        self._loops = {
            "usage": self._loop(
                "usage",
                topics.usage,
                [usage_topic_spec(topics)],
                UsageReport,
                functools.partial(apply_usage_report, sessions),
            ),
            "dead_letters": self._loop(
                "dead_letters",
                topics.dead_letters,
                [dead_letter_topic_spec(topics)],
                DeadLetter,
                functools.partial(apply_dead_letter, sessions),
            ),
            "provisioning": self._loop(
                "provisioning",
                topics.provisioning_events,
                provisioning_topic_specs(topics),
                ProvisionEvent,
                functools.partial(apply_provision_event, sessions, republish=republish),
            ),
            "alert_events": self._loop(
                "alert_events",
                topics.alert_events,
                alert_topic_specs(topics),
                AlertEvent,
                functools.partial(apply_alert_event, sessions),
            ),
        }
        self._tasks: list[asyncio.Task[None]] = []

    def _loop(
        self,
        name: str,
        topic: str,
        creates: list[TopicSpec],
        kind: type[P],
        apply: Callable[[P], Awaitable[Outcome]],
    ) -> ConsumeLoop[Any]:
        """The loop of one topic; what it applied, skipped or refused is counted by app."""

        async def handle(payload: P) -> None:
            outcome = await apply(payload)
            self._counters.received.labels(outcome.app).inc()
            if outcome.applied:
                self._counters.sent.labels(outcome.app).inc()
            else:
                self._counters.dropped.labels(outcome.app, outcome.reason).inc()

        subscription = Subscription(
            topic=topic,
            group_id=group_id_for(self._kafka.topic_prefix, name),
            decode=functools.partial(from_bytes, kind),
            handle=handle,
            transient=database_away,
            creates=tuple(creates),
        )
        return ConsumeLoop(
            self._kafka, subscription, name=name, counters=self._counters, polling=self._polling
        )

    async def start(self) -> None:
        """Start every consumer in the background; a down Kafka never blocks start-up."""
        self._tasks = [
            asyncio.create_task(loop.run(), name=f"market-consume-{name}")
            for name, loop in self._loops.items()
        ]
        self._tasks.append(asyncio.create_task(self._prune_forever(), name="market-prune-usage"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

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
