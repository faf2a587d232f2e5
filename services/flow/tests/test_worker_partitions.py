"""The worker pauses a partition while it must not be read, and the others flow on.

A failed batch is replayed after a backoff; a topic of another group's app, on
a group's own flow, is held unread and uncommitted. No Kafka here:
``FakeConsumer`` and ``FakeIndexer`` stand in for aiokafka's consumer and the
batch indexer, recording what the worker asks of them. What
Kafka and the engines do with it is tested against the real stack in
``test_faults.py`` and ``test_behind_a_proxy.py`` beside it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from prometheus_client import CollectorRegistry

from barito_common.app_registry import AppRegistry
from barito_common.kafka import Topics
from barito_common.schemas import to_bytes
from barito_flow.app_scope import AppScope
from barito_flow.consumer.worker import FlowWorker
from barito_flow.settings import FlowSettings
from barito_flow.telemetry import FlowMetrics
from barito_testing.profiles import app_profile

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

    def __init__(self, failure: BaseException | None = None) -> None:
        self.failure = failure
        self.indexed: list[TopicPartition] = []
        self.calls: list[list[TopicPartition]] = []

    async def index_batches(self, batches: list[tuple[str, int, list[Any]]]) -> None:
        partitions = [TopicPartition(topic, partition) for topic, partition, _ in batches]
        self.calls.append(partitions)
        if FAILING in partitions and self.failure is not None:
            raise self.failure
        self.indexed.extend(partitions)


def records(tp: TopicPartition, first: int, count: int, value: bytes = b"") -> list[ConsumerRecord]:
    return [
        ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, None, value, None, 0, 0, ())
        for offset in range(first, first + count)
    ]


async def test_one_polls_small_batches_are_indexed_together_and_committed_each() -> None:
    settings = FlowSettings(bulk_max_bytes=10_000)
    scope = AppScope(AppRegistry(settings.kafka), Topics(), app_group_id=None)
    indexer = FakeIndexer()
    worker = FlowWorker(settings, indexer, FlowMetrics.create(CollectorRegistry()), scope)
    small = [TopicPartition(f"barito.logs.app{n}", 0) for n in range(50)]
    large = TopicPartition("barito.logs.busy", 0)
    consumer = FakeConsumer(*small, large)
    polled = {tp: records(tp, 7, 2, b"x" * 50) for tp in small}
    polled[large] = records(large, 0, 3, b"x" * 6_000)  # over a bulk's bytes alone

    worker._start_batches(consumer, polled)
    await asyncio.sleep(0.01)
    await worker._commit_finished(consumer)

    # Fifty apps' chunks go to the indexer in one call (their documents share bulk
    # requests), the large batch apart; each partition is still committed on its own.
    assert sorted(map(len, indexer.calls)) == [1, 50]
    assert [large] in indexer.calls
    assert consumer.committed == {**{tp: 9 for tp in small}, large: 3}
    assert consumer.paused == set()


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
    scope = AppScope(AppRegistry(settings.kafka), Topics(), app_group_id=None)
    worker = FlowWorker(settings, FakeIndexer(failure), FlowMetrics.create(registry), scope)
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


async def test_a_group_flow_holds_another_groups_topic_unread_and_reports_it_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = CollectorRegistry()
    settings = FlowSettings(app_group_id="g-own", logs_bootstrap_servers="127.0.0.1:1")
    apps = AppRegistry(settings.kafka)
    own, foreign = app_profile("own", "g-own"), app_profile("stray", "g-other")
    for app in (own, foreign):
        apps.apply(app.app_id, to_bytes(app))
    indexer = FakeIndexer()
    worker = FlowWorker(
        settings, indexer, FlowMetrics.create(metrics), AppScope(apps, Topics(), "g-own")
    )
    own_tp, stray_tp = TopicPartition(own.topic, 0), TopicPartition(foreign.topic, 0)
    consumer = FakeConsumer(own_tp, stray_tp)

    for first in (0, 0):  # fetched again after a rebalance: still one report
        worker._start_batches(
            consumer, {own_tp: records(own_tp, first, 2), stray_tp: records(stray_tp, 7, 3)}
        )
        await asyncio.sleep(0.01)
        await worker._commit_finished(consumer)
        worker._release_held(consumer)
        worker._held.clear()

    # Not indexed, not committed, rewound to what it read and left paused.
    assert indexer.indexed == [own_tp, own_tp]
    assert consumer.committed == {own_tp: 2}
    assert consumer.positions == {stray_tp: 7}
    assert consumer.paused == {stray_tp}
    assert metrics.get_sample_value("barito_errors_total", {"stage": "foreign_topic"}) == 1
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "another group" in r.message]
    assert len(errors) == 1

    # The registry makes the app this group's: its partition is read from where it was.
    worker._start_batches(consumer, {stray_tp: records(stray_tp, 7, 3)})
    moved = foreign.model_copy(update={"group_id": "g-own"})
    apps.apply(moved.app_id, to_bytes(moved))
    worker._release_held(consumer)
    assert consumer.paused == set()
    worker._start_batches(consumer, {stray_tp: records(stray_tp, 7, 3)})
    await asyncio.sleep(0.01)
    await worker._commit_finished(consumer)
    assert consumer.committed == {own_tp: 2, stray_tp: 10}
