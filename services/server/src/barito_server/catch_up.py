"""A client's private reader, from its own start point up to the shared reader.

A tail that starts ``since`` seconds back or from a resume token needs
records the shared reader has already passed. It reads them with a consumer
of its own (again no group, every partition assigned), at the client's pace,
until it stands at or past the shared reader in every partition; the
session then subscribes to the shared feed and closes this consumer.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition

from barito_common.kafka import create_consumer
from barito_common.settings import KafkaSettings
from barito_server.resume_token import Position
from barito_server.tail_record import TailRecord
from barito_server.topic_reader import decode_record

__all__ = ["CatchUp"]


class CatchUp:
    def __init__(
        self, consumer: AIOKafkaConsumer, app: str, topic: str, positions: dict[int, Position]
    ) -> None:
        self._consumer = consumer
        self._app = app
        self._topic = topic
        self.positions = positions
        self._closed = False

    @classmethod
    async def open(
        cls,
        settings: KafkaSettings,
        *,
        app: str,
        topic: str,
        partitions: list[int],
        since_ms: int | None = None,
        resume: Mapping[int, Position] | None = None,
    ) -> CatchUp:
        """Fix the start positions (by time, or from a token) and stand there."""
        consumer = create_consumer(
            settings, group_id=None, isolation_level="read_uncommitted", fetch_max_wait_ms=100
        )
        await consumer.start()
        try:
            tps = [TopicPartition(topic, p) for p in partitions]
            consumer.assign(tps)
            first = await consumer.beginning_offsets(tps)
            end = await consumer.end_offsets(tps)
            positions: dict[int, Position] = {}
            if since_ms is not None:
                found = await consumer.offsets_for_times({tp: since_ms for tp in tps})
                for tp in tps:
                    hit = found.get(tp)
                    positions[tp.partition] = Position(hit.offset if hit else end[tp], 0)
            else:
                for tp in tps:
                    # A partition the token does not name is newer than the
                    # token: everything in it is unseen. Data past retention
                    # is gone, so the tail continues at the oldest kept record.
                    wanted = (resume or {}).get(tp.partition, Position(first[tp], 0))
                    if wanted.offset < first[tp]:
                        wanted = Position(first[tp], 0)
                    elif wanted.offset > end[tp]:
                        wanted = Position(end[tp], 0)
                    positions[tp.partition] = wanted
            for tp in tps:
                consumer.seek(tp, positions[tp.partition].offset)
        except BaseException:
            await consumer.stop()
            raise
        return cls(consumer, app, topic, positions)

    async def fetch(self) -> tuple[list[TailRecord], dict[int, int]]:
        """The next records, in order per partition, and the reader's position after them."""
        batches = await self._consumer.getmany(timeout_ms=200, max_records=2000)
        records = [
            decode_record(self._app, tp.partition, r.offset, r.value)
            for tp, rs in batches.items()
            for r in rs
        ]
        read_to = {
            p: await self._consumer.position(TopicPartition(self._topic, p)) for p in self.positions
        }
        return records, read_to

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._consumer.stop()
