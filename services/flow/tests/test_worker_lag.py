"""The lag gauge per partition: set from the consumer's high-water marks, not on every poll.

A flow of a thousand apps holds thousands of partitions; the gauges are set
at most once per ``LAG_REPORT_INTERVAL_S`` so that polls do not each walk them
all. No Kafka here: ``HighwaterConsumer`` stands in for aiokafka's consumer.
"""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from barito_common.app_registry import AppRegistry
from barito_common.kafka import Topics
from barito_flow.app_scope import AppScope
from barito_flow.consumer import worker as worker_module
from barito_flow.consumer.worker import FlowWorker
from barito_flow.settings import FlowSettings
from barito_flow.telemetry import FlowMetrics

PARTITIONS = [TopicPartition(f"barito.logs.app-{n}", p) for n in range(500) for p in range(2)]


class HighwaterConsumer:
    """Answers ``assignment`` and ``highwater``, counting the high-water lookups."""

    def __init__(self, highwater: int) -> None:
        self.highwater_of = highwater
        self.lookups = 0

    def assignment(self) -> set[TopicPartition]:
        return set(PARTITIONS)

    def highwater(self, tp: TopicPartition) -> int:
        self.lookups += 1
        return self.highwater_of


def lag(registry: CollectorRegistry, tp: TopicPartition) -> float | None:
    labels = {"topic": tp.topic, "partition": str(tp.partition)}
    return registry.get_sample_value("barito_flow_partition_lag", labels)


async def test_lag_is_reported_per_partition_and_polls_in_between_skip_the_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = CollectorRegistry()
    settings = FlowSettings()
    scope = AppScope(AppRegistry(settings.kafka), Topics(), app_group_id=None)
    worker = FlowWorker(settings, None, FlowMetrics.create(registry), scope)  # type: ignore[arg-type]
    worker._fetched = {tp: 90 for tp in PARTITIONS}
    consumer = HighwaterConsumer(highwater=100)

    monkeypatch.setattr(worker_module, "LAG_REPORT_INTERVAL_S", 3600.0)
    worker._report_lag(consumer)  # type: ignore[arg-type]
    assert consumer.lookups == len(PARTITIONS)
    assert lag(registry, PARTITIONS[0]) == 10
    assert lag(registry, PARTITIONS[-1]) == 10

    consumer.highwater_of = 150
    for _ in range(100):  # polls within the interval
        worker._report_lag(consumer)  # type: ignore[arg-type]
    assert consumer.lookups == len(PARTITIONS)
    assert lag(registry, PARTITIONS[0]) == 10

    monkeypatch.setattr(worker_module, "LAG_REPORT_INTERVAL_S", 0.0)
    worker._report_lag(consumer)  # type: ignore[arg-type]
    assert lag(registry, PARTITIONS[0]) == 60
