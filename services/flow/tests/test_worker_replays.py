"""A failed batch is replayed after a backoff, its partition paused; the others flow on.

No Kafka here: ``FakeConsumer`` and ``FakeIndexer`` stand in for aiokafka's
consumer and the batch indexer, recording what the worker asks of them. What
Kafka and the engines do with it is tested against the real stack in
``tests/test_flow_faults.py`` and ``tests/test_flow_behind_a_proxy.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from prometheus_client import CollectorRegistry

from barito_flow.consumer.worker import FlowWorker
from barito_flow.settings import FlowSettings
from barito_flow.telemetry import FlowMetrics

FAILING = TopicPartition("barito.logs.shop", 0)
HEALTHY = TopicPartition("barito.logs.shop", 1)


class FakeConsumer:
    """Stands in for ``AIOKafkaConsumer``: keeps the pauses, seeks and commits asked of it."""

    def __init__(self, *assigned: TopicPartition) -> None:
        self._assigned = set(assigned)
        self.paused: set[TopicPartition] = set()
        self.positions: dict[TopicPartition, int] = {}
        self.committed: dict[TopicPartition, int] = {}

    def assignment(self) -> set[TopicPartition]:
        return set(self._assigned)

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused.difference_update(partitions)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.positions[partition] = offset

    async def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self.committed.update({tp: meta.offset for tp, meta in offsets.items()})


class FakeIndexer:
    """Stands in for ``BatchIndexer``: a batch of the failing partition raises ``failure``."""

    def __init__(self, failure: BaseException) -> None:
        self.failure = failure

    async def index_batch(self, topic: str, partition: int, records: list[Any]) -> None:
        if TopicPartition(topic, partition) == FAILING:
            raise self.failure


def records(tp: TopicPartition, first: int, count: int) -> list[ConsumerRecord]:
    return [
        ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, None, b"", None, 0, 0, ())
        for offset in range(first, first + count)
    ]


@pytest.mark.parametrize(
    "failure",
    [
        # The dead-letter topic unreachable.
        KafkaConnectionError(),
        # The batch's task ends cancelled, as when the dead-letter producer it waits
        # on is replaced.
        asyncio.CancelledError(),
    ],
    ids=["failed", "cancelled"],
)
async def test_a_failed_batch_is_replayed_after_a_backoff_while_other_partitions_commit(
    failure: BaseException,
) -> None:
    registry = CollectorRegistry()
    settings = FlowSettings(retry_base_s=0.05, retry_cap_s=0.05)
    worker = FlowWorker(settings, FakeIndexer(failure), FlowMetrics.create(registry))
    consumer = FakeConsumer(FAILING, HEALTHY)

    worker._start_batches(
        consumer, {FAILING: records(FAILING, 10, 5), HEALTHY: records(HEALTHY, 0, 3)}
    )
    await asyncio.sleep(0.01)  # both batches end
    await worker._commit_finished(consumer)

    # The healthy partition is committed and read on; the failing one is rewound to its
    # batch and stays paused, nothing of it committed.
    assert consumer.committed == {HEALTHY: 3}
    assert consumer.positions == {FAILING: 10}
    assert consumer.paused == {FAILING}
    assert registry.get_sample_value("barito_errors_total", {"stage": "index"}) == 1

    await asyncio.sleep(0.1)  # past the longest first backoff
    await worker._commit_finished(consumer)

    assert consumer.paused == set()
    assert consumer.committed == {HEALTHY: 3}
