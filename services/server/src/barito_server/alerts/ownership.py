"""Which apps this replica evaluates: its share of ``alerts.state``'s partitions.

Every server replica joins the consumer group ``<prefix>alerts`` on
``<prefix>alerts.state``; an app belongs to the partition
``state_partition(app_id, 12)``, so the group's assignment is the lease: a
partition is owned by one live member at a time, and each rule is evaluated
by one replica. aiokafka rebalances eagerly: every member's revocation
callback has returned before any member's assignment callback runs, which
is where the owner stops deciding and flushes its last states, so the next
owner, reading the partition to its end, restores them. (The old owner keeps
reading and counting meanwhile: should the partition come back to it with
no one else's decisions on it, it resumes with its windows whole.)

The lease is only as good as the group's view: a replica that stalls past
the session timeout (10 s) loses its partitions without running its
revocation, and may decide and send until it polls again and learns it; no
producer fencing stops it. A replica that dies is replaced after that
timeout; one that stops cleanly leaves the group at once.

The consumer reads nothing itself (its partitions are paused): polling only
keeps it in the group. Restoring reads the partition with a consumer of its
own, from the beginning (compaction keeps each rule's last state).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from barito_common.kafka import Topics, create_consumer
from barito_common.settings import KafkaSettings

__all__ = ["Ownership"]

log = logging.getLogger(__name__)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, ownership: Ownership, consumer: AIOKafkaConsumer) -> None:
        self._ownership = ownership
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        partitions = {tp.partition for tp in revoked}
        if partitions:
            log.info(
                "Alert partitions revoked; their apps' rules decide nothing until reassigned.",
                extra={"ctx": {"partitions": sorted(partitions)}},
            )
            await self._ownership.on_revoked(partitions)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._consumer.pause(*assigned)
        partitions = {tp.partition for tp in assigned}
        log.info("Alert partitions assigned.", extra={"ctx": {"partitions": sorted(partitions)}})
        self._ownership.on_assigned(partitions)


class Ownership:
    """Membership in ``<prefix>alerts``; calls back as partitions come and go."""

    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        on_assigned: Callable[[set[int]], None],
        on_revoked: Callable[[set[int]], Awaitable[None]],
    ) -> None:
        self._kafka = kafka
        self._topics = Topics(kafka.topic_prefix)
        self.on_assigned = on_assigned
        self.on_revoked = on_revoked

    async def hold(self) -> None:
        """Stay in the group until cancelled; leaving gives the partitions away at once."""
        consumer = create_consumer(
            self._kafka,
            group_id=f"{self._topics.prefix}alerts",
            isolation_level="read_uncommitted",
        )
        consumer.subscribe([self._topics.alert_state], listener=_Rebalance(self, consumer))
        await consumer.start()
        try:
            while True:
                await consumer.getmany(timeout_ms=1000)
        finally:
            # A crash or cancel is a revocation too: stop evaluating before leaving.
            owned = {tp.partition for tp in consumer.assignment()}
            try:
                if owned:
                    await self.on_revoked(owned)
            finally:
                await consumer.stop()
