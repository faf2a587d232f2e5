"""consume → decode → handle → commit: the one loop of consumers that handle records one by one.

Example::

    loop = ConsumeLoop(
        settings.kafka,
        Subscription(
            topic=topics.usage,
            group_id="barito-market",
            decode=functools.partial(from_bytes, UsageReport),
            handle=apply_report,
        ),
        name="usage",
        counters=counters,
    )
    task = asyncio.create_task(loop.run())   # until cancelled

The failure policy (also in docs/architecture.md §2):

* **Commit after the work.** A partition's offset is committed only after
  the handler returned for every record before it: delivery is at least once,
  and handlers must be idempotent (a redelivery after a crash, a rebalance or
  a failed commit changes nothing).
* **Poison goes to the dead letters, never stalls.** A record whose value
  cannot be decoded, or whose handler raises an error that is not transient
  (:func:`~barito_common.kafka.failures.is_transient`), is written to the
  installation's dead-record topic (``<prefix>records.dlq``) byte for byte,
  with its topic, partition, offset, consumer group and error in headers
  (:class:`~barito_common.kafka.dead_records.DeadRecord`); once Kafka has
  acknowledged the letter the record is committed and the next one handled.
* **Transient failures are retried, not committed.** A record whose handler
  failed transiently (Kafka or the database away) is not committed: its
  partition is rewound to it and it is handled again after a capped
  exponential backoff, for as long as it takes, so nothing is lost. The
  consumer keeps polling meanwhile, so it keeps its place in the group.
* **A lost Kafka restarts the consumer.** A failed poll, commit or
  dead-letter write stops the consumer; it starts again after the backoff,
  from the last committed offsets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from barito_common.kafka.backoff import Backoff
from barito_common.kafka.clients import create_consumer, create_producer
from barito_common.kafka.dead_records import DeadRecord, Stage
from barito_common.kafka.failures import is_transient
from barito_common.kafka.topic_admin import ensure_topics
from barito_common.kafka.topics import Topics, TopicSpec, dead_record_topic_spec
from barito_common.settings import KafkaSettings
from barito_common.telemetry import EventCounters

__all__ = ["ConsumeLoop", "Polling", "Subscription"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_DROP_REASON: dict[Stage, str] = {"decode": "invalid_payload", "handle": "handler_failed"}


@dataclass(frozen=True)
class Subscription(Generic[T]):
    """What one loop reads, and what it does with each record's value."""

    topic: str
    group_id: str
    decode: Callable[[bytes], T]
    """Bytes to payload; any error it raises makes the record poison (dead-lettered)."""
    handle: Callable[[T], Awaitable[object]]
    """Applies one payload, idempotently; returns once the work is durable."""
    transient: Callable[[BaseException], bool] = is_transient
    """Whether a handler's error may pass (retried) or not (dead-lettered)."""
    creates: tuple[TopicSpec, ...] = ()
    """Topics to create, if missing, before consuming: the subscribed one, at least."""


@dataclass(frozen=True)
class Polling:
    """How much one poll waits for and returns."""

    timeout_ms: int = 500
    max_records: int = 200


class ConsumeLoop(Generic[T]):
    """One consumer of ``subscription.topic`` in its group, run by :meth:`run` until cancelled.

    ``counters`` (optional) get ``errors{stage}`` as ``consume_<name>`` (a
    restart), ``apply_<name>`` (a transient failure) and ``dead_letter_<name>``,
    and each dead-lettered record as received and dropped (``invalid_payload``
    or ``handler_failed``); what the handler applied is the handler's to count.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        subscription: Subscription[T],
        *,
        name: str,
        counters: EventCounters | None = None,
        backoff: Backoff | None = None,
        polling: Polling | None = None,
    ) -> None:
        self._kafka = kafka
        self._sub = subscription
        self._name = name
        self._counters = counters
        self._backoff = backoff or Backoff()
        self._polling = polling or Polling()
        topics = Topics(kafka.topic_prefix)
        self._dead_topic = topics.dead_records
        self._creates = (*subscription.creates, dead_record_topic_spec(topics))
        self._restarts = 0
        self._retries = 0

    async def run(self) -> None:
        """Consume until cancelled; never returns, never raises but ``CancelledError``."""
        while True:
            try:
                await ensure_topics(self._kafka, self._creates)
                await self._consume()
            except Exception as err:
                # Kafka unreachable, a rebalance that lost our partitions, a failed
                # commit or dead-letter write: start over from the last commits.
                self._restarts += 1
                delay = self._backoff.delay(self._restarts)
                self._count_error("consume")
                log.warning(
                    "Consumer stopped; restarting it from the last committed offsets.",
                    extra={"ctx": {"topic": self._sub.topic, "delay_s": delay, "error": repr(err)}},
                )
                await asyncio.sleep(delay)

    async def _consume(self) -> None:
        consumer = create_consumer(self._kafka, self._sub.topic, group_id=self._sub.group_id)
        producer = create_producer(self._kafka)
        try:
            await consumer.start()
            await producer.start()
            self._restarts = 0
            while True:
                batches = await consumer.getmany(
                    timeout_ms=self._polling.timeout_ms, max_records=self._polling.max_records
                )
                held = [
                    tp
                    for tp, records in batches.items()
                    if not await self._partition(consumer, producer, tp, records)
                ]
                if held:
                    # Whatever failed (the database, Kafka) most likely fails the
                    # next try too: wait, capped, before the rewound records are
                    # read again. The wait is short of the poll interval, so the
                    # consumer keeps its partitions.
                    self._retries += 1
                    await asyncio.sleep(self._backoff.delay(self._retries))
        finally:
            await producer.stop()
            await consumer.stop()

    async def _partition(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        tp: TopicPartition,
        records: list[ConsumerRecord[bytes, bytes]],
    ) -> bool:
        """Handle one partition's records in order; False when one is to be retried."""
        done_to: int | None = None
        for record in records:
            if not await self._record(producer, record):
                # What was done before it is committed; it and what follows are
                # read again from Kafka after the backoff.
                if done_to is not None:
                    await consumer.commit({tp: done_to})
                consumer.seek(tp, record.offset)
                return False
            done_to = record.offset + 1
            self._retries = 0
        # Committed after the records it covers are handled, never before.
        if done_to is not None:
            await consumer.commit({tp: done_to})
        return True

    async def _record(
        self, producer: AIOKafkaProducer, record: ConsumerRecord[bytes, bytes]
    ) -> bool:
        """Decode and handle one record, or dead-letter it; False: failed transiently."""
        try:
            payload = self._sub.decode(record.value or b"")
        except Exception as err:
            await self._dead_letter(producer, record, "decode", err)
            return True
        try:
            await self._sub.handle(payload)
        except Exception as err:
            if not self._sub.transient(err):
                await self._dead_letter(producer, record, "handle", err)
                return True
            self._count_error("apply")
            log.warning(
                "Could not handle a record for now; retrying it.",
                extra={"ctx": {**_origin(record), "error": repr(err)}},
            )
            return False
        return True

    async def _dead_letter(
        self,
        producer: AIOKafkaProducer,
        record: ConsumerRecord[bytes, bytes],
        stage: Stage,
        err: Exception,
    ) -> None:
        letter = DeadRecord.of(
            record, consumer=self._sub.group_id, stage=stage, error=err, at=datetime.now(UTC)
        )
        # The record is committed only once Kafka holds its letter: a failed
        # write raises, the consumer restarts, and the record comes again.
        await producer.send_and_wait(
            self._dead_topic, letter.value, key=letter.key, headers=letter.headers()
        )
        self._count_error("dead_letter")
        if self._counters is not None:
            self._counters.received.labels("").inc()
            self._counters.dropped.labels("", _DROP_REASON[stage]).inc()
        # A handler's error is a bug or a rule the record breaks: keep its traceback.
        log.error(
            "Dead-lettered a record; its partition moves on.",
            exc_info=err if stage == "handle" else None,
            extra={
                "ctx": {
                    **_origin(record),
                    "stage": stage,
                    "dead_letters": self._dead_topic,
                    "error": letter.error,
                }
            },
        )

    def _count_error(self, what: str) -> None:
        if self._counters is not None:
            self._counters.errors.labels(f"{what}_{self._name}").inc()


def _origin(record: ConsumerRecord[bytes, bytes]) -> dict[str, object]:
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset}
