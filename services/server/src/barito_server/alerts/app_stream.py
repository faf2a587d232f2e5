"""Reading one app's log topic for its alert rules, from the end at takeover.

Like the tail's shared reader it uses no consumer group and reads every
partition, on the Kafka of the app's cluster; it starts at the end when
this replica takes the app over, so events written while no replica owned
the app (between an owner's stop and the next one's takeover) are not
counted, and absence rules start their window at takeover. Each chunk is
decoded once and each event's JSON line is built by
:class:`~barito_server.tail_record.TailRecord`, exactly as the tail prints
it, so a rule matches what a user's filter would show.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from barito_common.kafka import create_consumer
from barito_common.settings import KafkaSettings
from barito_server.metrics import AlertMetrics
from barito_server.partition_lookup import PartitionLookup
from barito_server.tail_record import TailRecord
from barito_server.topic_reader import decode_record

__all__ = ["AppStream"]

log = logging.getLogger(__name__)

_RETRY_S = 2.0


class AppStream:
    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        app: str,
        topic: str,
        metrics: AlertMetrics,
        on_start: Callable[[], None],
        on_record: Callable[[TailRecord], None],
    ) -> None:
        self._kafka = kafka
        self._app = app
        self._topic = topic
        self._metrics = metrics
        self._on_start = on_start
        self._on_record = on_record

    async def run(self) -> None:
        """Read until cancelled; after a failure start again at the end (and say so)."""
        while True:
            try:
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                self._metrics.errors.labels("alert_read").inc()
                log.warning(
                    "Alert evaluation lost the app's topic; reading it again from its end.",
                    extra={"ctx": {"app": self._app, "topic": self._topic, "error": repr(err)}},
                )
                await asyncio.sleep(_RETRY_S)

    async def _read(self) -> None:
        lookup = PartitionLookup(self._kafka)
        try:
            partitions = await lookup.partitions(self._topic)
        finally:
            await lookup.close()
        consumer = create_consumer(
            self._kafka, group_id=None, isolation_level="read_uncommitted", fetch_max_wait_ms=100
        )
        await consumer.start()
        try:
            tps = [TopicPartition(self._topic, p) for p in partitions]
            consumer.assign(tps)
            await consumer.seek_to_end(*tps)
            # Resolved now, so the first window starts where reading does.
            next_offsets = {tp: await consumer.position(tp) for tp in tps}
            self._on_start()
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                for tp, records in batches.items():
                    for kafka_record in records:
                        self._on_record(
                            decode_record(
                                self._app, tp.partition, kafka_record.offset, kafka_record.value
                            )
                        )
                        next_offsets[tp] = kafka_record.offset + 1
                self._update_lag(consumer, next_offsets)
        finally:
            self._metrics.lag.labels(self._app).set(0)
            await consumer.stop()

    def _update_lag(
        self, consumer: AIOKafkaConsumer, next_offsets: dict[TopicPartition, int]
    ) -> None:
        lag = 0
        for tp, offset in next_offsets.items():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                lag += max(0, highwater - offset)
        self._metrics.lag.labels(self._app).set(lag)
