"""The provisioner's memory: rebuilt from Kafka at start-up, kept in memory after.

The events topic already holds every transition the provisioner ever
reported, so it needs no database: folding it (``state_machine.apply_event``)
gives each infrastructure's state, components, cluster coordinates, failed
step and the commands that are finished, which is what makes a redelivered
command a no-op across restarts. The commands topic gives, for each
infrastructure, the latest command that has events: the group, template and
placement that polling works from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from barito_common.kafka import Topics, create_consumer, ensure_topics, provisioning_topic_specs
from barito_common.schemas import PayloadError, ProvisionCommand, ProvisionEvent, from_bytes
from barito_common.settings import KafkaSettings
from barito_provisioner.state_machine import InfrastructureRecord, apply_event

__all__ = ["Journal", "provisioning_topic_specs", "read_journal"]

Payload = TypeVar("Payload", ProvisionEvent, ProvisionCommand)


class Journal:
    """Every infrastructure the provisioner knows, by id."""

    def __init__(self) -> None:
        self._records: dict[str, InfrastructureRecord] = {}

    def record(self, infrastructure_id: str) -> InfrastructureRecord:
        """The record of ``infrastructure_id``, created empty if unknown."""
        record = self._records.get(infrastructure_id)
        if record is None:
            record = self._records[infrastructure_id] = InfrastructureRecord(infrastructure_id)
        return record

    def get(self, infrastructure_id: str) -> InfrastructureRecord | None:
        return self._records.get(infrastructure_id)

    def __iter__(self) -> Iterator[InfrastructureRecord]:
        return iter(list(self._records.values()))

    def apply_event(self, event: ProvisionEvent) -> None:
        apply_event(self.record(event.infrastructure_id), event)

    def note_command(self, command: ProvisionCommand) -> None:
        """Remember a command read back at start-up, if it was ever acted on."""
        record = self._records.get(command.infrastructure_id)
        if record is not None and command.command_id in record.seen_commands:
            record.command = command


async def read_journal(settings: KafkaSettings, topics: Topics) -> Journal:
    """Fold the events topic, then the commands topic, each up to its current end."""
    await ensure_topics(settings, provisioning_topic_specs(topics))
    journal = Journal()
    await _read_to_end(settings, topics.provisioning_events, ProvisionEvent, journal.apply_event)
    await _read_to_end(
        settings, topics.provisioning_commands, ProvisionCommand, journal.note_command
    )
    return journal


async def _read_to_end(
    settings: KafkaSettings, topic: str, kind: type[Payload], apply: Callable[[Payload], None]
) -> None:
    consumer = create_consumer(settings, group_id=None, isolation_level="read_uncommitted")
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0})
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        while any([await consumer.position(tp) < offset for tp, offset in end.items()]):
            batches = await consumer.getmany(*partitions, timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    _apply(record, kind, apply)
    finally:
        await consumer.stop()


def _apply(
    record: ConsumerRecord[bytes, bytes], kind: type[Payload], apply: Callable[[Payload], None]
) -> None:
    if record.value is None:
        return
    try:
        apply(from_bytes(kind, record.value))
    except PayloadError:
        # Not ours to judge: the market's payload may be newer than this reader.
        return
