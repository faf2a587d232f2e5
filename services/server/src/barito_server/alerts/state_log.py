"""The rules' states and transitions on Kafka: written as they change, read back at takeover.

``<prefix>alerts.state`` is compacted and keyed by rule id; each state goes
explicitly to its app's partition (``state_partition``), never to the
producer's own choice by key hash, because that partition is also what
decides which replica evaluates the app. Reading a partition from the
beginning to its end therefore restores every state of every app it owns.
"""

from __future__ import annotations

import logging
from uuid import UUID

from aiokafka import AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from barito_common.alerts import AlertEvent, RuleState, state_partition
from barito_common.kafka import ALERT_STATE_PARTITIONS, Topics, create_consumer
from barito_common.settings import KafkaSettings

__all__ = ["StateLog", "read_states"]

log = logging.getLogger(__name__)


class StateLog:
    def __init__(self, kafka: KafkaSettings, producer: AIOKafkaProducer) -> None:
        self._kafka = kafka
        self._topics = Topics(kafka.topic_prefix)
        self._producer = producer

    async def write_state(self, state: RuleState) -> None:
        await self._producer.send_and_wait(
            self._topics.alert_state,
            state.model_dump_json().encode(),
            key=str(state.rule_id).encode(),
            partition=state_partition(state.app_id, ALERT_STATE_PARTITIONS),
        )

    async def forget(self, rule_id: UUID, app_id: str) -> None:
        """A tombstone: compaction drops the deleted rule's state."""
        await self._producer.send_and_wait(
            self._topics.alert_state,
            None,
            key=str(rule_id).encode(),
            partition=state_partition(app_id, ALERT_STATE_PARTITIONS),
        )

    async def write_event(self, event: AlertEvent) -> None:
        await self._producer.send_and_wait(
            self._topics.alert_events,
            event.model_dump_json().encode(),
            key=event.app_id.encode(),
        )

    async def flush(self) -> None:
        await self._producer.flush()

    async def restore(self, partition: int) -> dict[UUID, RuleState]:
        return await read_states(self._kafka, partition)


async def read_states(kafka: KafkaSettings, partition: int) -> dict[UUID, RuleState]:
    """The last state of every rule kept on ``partition``, read up to its end now."""
    tp = TopicPartition(Topics(kafka.topic_prefix).alert_state, partition)
    consumer = create_consumer(kafka, group_id=None, isolation_level="read_uncommitted")
    await consumer.start()
    states: dict[UUID, RuleState] = {}
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        while await consumer.position(tp) < end:
            batches = await consumer.getmany(tp, timeout_ms=1000)
            for record in batches.get(tp, []):
                _apply(states, record.key, record.value)
    finally:
        await consumer.stop()
    return states


def _apply(states: dict[UUID, RuleState], key: bytes | None, value: bytes | None) -> None:
    try:
        rule_id = UUID((key or b"").decode())
    except ValueError:
        log.warning("Skipped an alert state without a rule id as its key.")
        return
    if value is None:
        states.pop(rule_id, None)
        return
    try:
        states[rule_id] = RuleState.model_validate_json(value)
    except ValidationError as err:
        log.warning(
            "Skipped an unreadable alert state.",
            extra={"ctx": {"rule_id": str(rule_id), "error": str(err)}},
        )
