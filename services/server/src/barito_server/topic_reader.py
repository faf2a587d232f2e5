"""The one Kafka reader of an app's topic in this process, shared by all its clients.

It uses no consumer group: it assigns itself every partition and starts at
the end, so it commits nothing, never rebalances and cannot disturb flow's
group. Each record is decoded once and offered to every subscriber
synchronously; ``offer`` never waits, so a slow client can never hold the
reader back (see ``client_queue``). ``next_offsets`` says which record the
reader hands out next per partition: a joining client that had to catch up
from an older position switches to the shared feed exactly there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition

from barito_common.chunk_codec import CorruptChunk, decode_chunk
from barito_common.kafka import create_consumer
from barito_common.settings import KafkaSettings
from barito_server.metrics import TailMetrics
from barito_server.tail_record import TailRecord

__all__ = ["Subscriber", "TopicReader", "decode_record"]

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    def offer(self, record: TailRecord) -> None: ...


def decode_record(app: str, partition: int, offset: int, value: bytes | None) -> TailRecord:
    """A record as a TailRecord; a chunk that cannot be decoded yields no events."""
    try:
        events = decode_chunk(value or b"")
    except CorruptChunk as err:
        # flow dead-letters such a chunk; a live tail can only skip it, loudly.
        log.warning(
            "Skipped a log chunk that cannot be decoded.",
            extra={
                "ctx": {"app": app, "partition": partition, "offset": offset, "error": str(err)}
            },
        )
        events = []
    return TailRecord(app, partition, offset, events)


class TopicReader:
    def __init__(
        self,
        settings: KafkaSettings,
        *,
        app: str,
        topic: str,
        partitions: list[int],
        metrics: TailMetrics,
    ) -> None:
        self.app = app
        self.topic = topic
        self.partitions = partitions
        self.next_offsets: dict[int, int] = {}
        self._settings = settings
        self._metrics = metrics
        self._subscribers: set[Subscriber] = set()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    async def start(self) -> None:
        """Assign every partition and stand at the end of each; then start reading."""
        consumer = create_consumer(
            self._settings,
            group_id=None,
            # No transactions write log topics; uncommitted reads skip the wait
            # for the last stable offset.
            isolation_level="read_uncommitted",
            fetch_max_wait_ms=100,
        )
        await consumer.start()
        try:
            tps = [TopicPartition(self.topic, p) for p in self.partitions]
            consumer.assign(tps)
            await consumer.seek_to_end(*tps)
            self.next_offsets = {tp.partition: await consumer.position(tp) for tp in tps}
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(consumer), name=f"tail-reader-{self.app}")
        self._metrics.readers.labels(self.app).inc()
        log.info("Tail reader started.", extra={"ctx": {"app": self.app, "topic": self.topic}})

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
            self._metrics.readers.labels(self.app).dec()
            self._metrics.lag.labels(self.app).set(0)
            log.info("Tail reader stopped.", extra={"ctx": {"app": self.app}})
        self._task = self._consumer = None

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        received = self._metrics.events.received.labels(self.app)
        while True:
            try:
                batches = await consumer.getmany(timeout_ms=1000)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                # aiokafka reconnects by itself; the reader keeps its positions.
                self._metrics.events.errors.labels("tail_read").inc()
                log.warning(
                    "Tail reader failed to fetch; retrying.",
                    extra={"ctx": {"app": self.app, "error": repr(err)}},
                )
                await asyncio.sleep(1.0)
                continue
            for tp, records in batches.items():
                for kafka_record in records:
                    record = decode_record(
                        self.app, tp.partition, kafka_record.offset, kafka_record.value
                    )
                    received.inc(len(record.events))
                    # Set before the hand-out, so a client switching over from
                    # its catch-up reader right after sees a consistent position.
                    self.next_offsets[tp.partition] = kafka_record.offset + 1
                    for subscriber in list(self._subscribers):
                        subscriber.offer(record)
            self._update_lag(consumer)

    def _update_lag(self, consumer: AIOKafkaConsumer) -> None:
        lag = 0
        for partition, offset in self.next_offsets.items():
            highwater = consumer.highwater(TopicPartition(self.topic, partition))
            if highwater is not None:
                lag += max(0, highwater - offset)
        self._metrics.lag.labels(self.app).set(lag)
