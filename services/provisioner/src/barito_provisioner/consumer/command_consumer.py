"""Following the commands topic: each command handled, then its offset committed.

The offset of a command is committed only after the handler returned, that is
after every event of the command was acknowledged by Kafka. A crash in
between redelivers the command, and the journal makes that harmless: a
finished command is skipped, one cut off in its middle resumes.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from barito_common.kafka import Topics, create_consumer
from barito_common.schemas import PayloadError, ProvisionCommand, from_bytes
from barito_common.settings import KafkaSettings
from barito_provisioner.command_handler import CommandHandler

__all__ = ["CommandConsumer"]

log = logging.getLogger(__name__)


class CommandConsumer:
    def __init__(
        self,
        settings: KafkaSettings,
        *,
        group_id: str,
        handler: CommandHandler,
        retry_delay_s: float = 1.0,
    ) -> None:
        self._settings = settings
        self._topic = Topics(settings.topic_prefix).provisioning_commands
        self._group_id = group_id
        self._handler = handler
        self._retry_delay_s = retry_delay_s

    async def run_forever(self) -> None:
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as err:
                log.warning(
                    "The command consumer lost Kafka; reconnecting.",
                    extra={"ctx": {"error": repr(err)}},
                )
                await asyncio.sleep(self._retry_delay_s)
            except Exception:
                # Not Kafka: a bug of ours. The command is not committed, so it is
                # handled again after the reconnect; say so where an operator looks.
                log.exception("Handling a provisioning command failed; it will be retried.")
                await asyncio.sleep(self._retry_delay_s)

    async def _consume(self) -> None:
        consumer = create_consumer(self._settings, self._topic, group_id=self._group_id)
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=50)
                for partition, records in batches.items():
                    for record in records:
                        await self._handle(record.value)
                        tp = TopicPartition(partition.topic, partition.partition)
                        await consumer.commit({tp: record.offset + 1})
        finally:
            await consumer.stop()

    async def _handle(self, value: bytes | None) -> None:
        if value is None:
            return
        try:
            command = from_bytes(ProvisionCommand, value)
        except PayloadError as err:
            # Skipped, not retried: the same bytes would fail the same way forever.
            log.error(
                "Skipped an unreadable provisioning command.", extra={"ctx": {"error": str(err)}}
            )
            return
        await self._handler.handle(command)
