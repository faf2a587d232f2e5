"""The flow's consuming loop: poll, index per partition, commit what is durable.

Each partition has at most one batch in flight: when a batch is handed to the
indexer its partition is paused, and resumed once the batch is durable and its
offsets committed. The small batches of one poll are handed over together
(one task, their documents sharing bulk requests), up to a bulk's worth of
chunk bytes: with a thousand apps a poll holds a chunk or two from each of
hundreds of partitions. So a search-engine outage or a retry pauses only the
partitions it touches, offsets are committed strictly in order, and a crash at
any moment replays at most the uncommitted batches — which rewrite the same
``_id``s, so the index never holds a duplicate. A batch that failed (the
indexer raised) is replayed from its first offset, but only after a backoff
that grows with each failure in a row: its partition stays paused meanwhile,
while the others keep flowing.

On a rebalance the revoked partitions' batches get ``shutdown_grace_s`` to
finish and be committed before the partitions move; on stop (SIGTERM) every
partition gets the same, then the consumer leaves the group.

The log topics are read from ``settings.logs_kafka``: a dedicated group's
own Kafka for a group's flow, the installation's otherwise. A partition of a
topic the flow does not serve (``AppScope``: another group's app) is held:
rewound, paused and never committed, until the registry says otherwise.

Why this is not :class:`barito_common.kafka.ConsumeLoop`: that loop handles
records one at a time, in order, across all its partitions, and dead-letters
a whole record. Here a partition's records are indexed as one batch (bulk
requests cut by size, many partitions in flight at once, each paused on its
own while its batch retries), a record's events fail one by one (each
refused document is its own ``DeadLetter``, which the market counts), and a
partition of another group's app is held, never dead-lettered. Forced onto
the shared loop, indexing would be serial and per record, and a search-engine
outage would stall every partition instead of only the ones it touches. The
policy is the same in substance: commit after durable work, dead letters
instead of stalls (a corrupt chunk, a document the engine refuses), retry
with capped backoff for what may pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata

from barito_common.kafka import Topics, create_consumer
from barito_flow.app_scope import AppScope
from barito_flow.bulk_plan import backoff_delay
from barito_flow.consumer.batch_indexer import BatchIndexer
from barito_flow.settings import FlowSettings
from barito_flow.telemetry import FlowMetrics

__all__ = ["FlowWorker"]

log = logging.getLogger(__name__)

# The lag gauges are set at most this often: with a thousand apps a flow holds
# thousands of partitions, and setting each one's gauge on every poll (many a
# second under load) cost tens of milliseconds of CPU per poll.
LAG_REPORT_INTERVAL_S = 1.0


_Outcomes = dict[TopicPartition, int | BaseException]
"""Of each partition of a task's batches: the offset to commit next, or what failed it."""


def _next_offset(records: list[ConsumerRecord]) -> int:
    return int(records[-1].offset) + 1


def _outcome(task: asyncio.Task[_Outcomes], tp: TopicPartition) -> tuple[BaseException | None, int]:
    """What failed ``tp``'s batch in the finished ``task``, else None and its next offset."""
    # A cancelled task has no exception to ask for: asking raises.
    error = asyncio.CancelledError() if task.cancelled() else task.exception()
    if error is not None:
        return error, -1
    outcome = task.result()[tp]
    if isinstance(outcome, BaseException):
        return outcome, -1
    return None, outcome


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: FlowWorker) -> None:
        self._worker = worker

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._worker.settle(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("Partitions assigned.", extra={"ctx": {"partitions": sorted(map(str, assigned))}})


class FlowWorker:
    def __init__(
        self, settings: FlowSettings, indexer: BatchIndexer, metrics: FlowMetrics, scope: AppScope
    ):
        self._settings = settings
        self._indexer = indexer
        self._metrics = metrics
        self._scope = scope
        self._consumer: AIOKafkaConsumer | None = None
        # A partition's batch in flight: the task that indexes it (with other
        # partitions' batches of the same poll) and gives, for each of its
        # partitions, the offset to commit next or what failed its batch.
        self._in_flight: dict[TopicPartition, asyncio.Task[_Outcomes]] = {}
        self._first_offset: dict[TopicPartition, int] = {}
        self._fetched: dict[TopicPartition, int] = {}
        # Partitions whose last batch failed: failures in a row, and the loop time
        # at which the partition may be read again.
        self._failures: dict[TopicPartition, int] = {}
        self._replay_at: dict[TopicPartition, float] = {}
        # Partitions of topics this flow does not serve, and the topics already
        # reported, so that each is logged once, not on every rebalance.
        self._held: set[TopicPartition] = set()
        self._reported_foreign: set[str] = set()
        self._stopping = asyncio.Event()
        self._lag_reported_at: float | None = None

    async def run(self) -> None:
        """Consume until stopped; reconnects after Kafka errors."""
        await self._indexer.registry.wait_loaded(timeout_s=3600)
        while not self._stopping.is_set():
            try:
                await self._consume()
            except (KafkaError, OSError) as err:
                self._metrics.errors.labels("consume").inc()
                log.warning("Consumer failed; restarting it.", extra={"ctx": {"error": repr(err)}})
                await asyncio.sleep(1)

    async def stop(self) -> None:
        self._stopping.set()

    async def _consume(self) -> None:
        settings = self._settings
        consumer = create_consumer(
            settings.logs_kafka,
            group_id=settings.group_id,
            metadata_max_age_ms=settings.topic_refresh_ms,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        consumer.subscribe(
            pattern=Topics(settings.kafka.topic_prefix).logs_pattern, listener=_Rebalance(self)
        )
        await consumer.start()
        self._consumer = consumer
        # A new consumer starts with nothing paused and reads from the last commit.
        self._failures.clear()
        self._replay_at.clear()
        self._held.clear()
        try:
            while not self._stopping.is_set():
                batches = await consumer.getmany(
                    timeout_ms=settings.poll_timeout_ms, max_records=settings.fetch_max_records
                )
                self._start_batches(consumer, batches)
                await self._commit_finished(consumer)
                self._release_held(consumer)
                self._report_lag(consumer)
            await self.settle(set(self._in_flight))
        finally:
            self._consumer = None
            for task in self._in_flight.values():
                task.cancel()
            self._in_flight.clear()
            await consumer.stop()  # leaves the group, so partitions move at once

    def _start_batches(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        """Index each partition's records, the partition paused until they are committed."""
        group: list[tuple[TopicPartition, list[ConsumerRecord]]] = []
        group_bytes = 0
        for tp, records in batches.items():
            if records:
                consumer.pause(tp)
                if self._hold_if_foreign(consumer, tp, records[0].offset):
                    continue
                self._first_offset[tp] = records[0].offset
                self._fetched[tp] = records[-1].offset + 1
                size = sum(len(record.value or b"") for record in records)
                if group and group_bytes + size > self._settings.bulk_max_bytes:
                    self._start_group(group)
                    group, group_bytes = [], 0
                group.append((tp, records))
                group_bytes += size
        if group:
            self._start_group(group)

    def _start_group(self, group: list[tuple[TopicPartition, list[ConsumerRecord]]]) -> None:
        task = asyncio.create_task(self._index(group))
        for tp, _ in group:
            self._in_flight[tp] = task

    def _hold_if_foreign(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, first_offset: int
    ) -> bool:
        """Hold ``tp`` (rewound, paused, uncommitted) when its app is another group's."""
        group = self._scope.foreign_group(tp.topic)
        if group is None:
            return False
        # Indexing would put another group's logs in this group's engine, and
        # committing without indexing would lose them: the records stay in Kafka,
        # unread, and the partition is resumed when the registry makes the app
        # this group's (_release_held). Being paused, it costs no fetches.
        consumer.seek(tp, first_offset)
        self._held.add(tp)
        if tp.topic not in self._reported_foreign:
            self._reported_foreign.add(tp.topic)
            self._metrics.errors.labels("foreign_topic").inc()
            log.error(
                "A log topic of another group's app is on this group's Kafka; leaving it "
                "unconsumed. Move the topic to its group's cluster or correct the app's group.",
                extra={
                    "ctx": {
                        "topic": tp.topic,
                        "app_group_id": group,
                        "flow_app_group_id": self._scope.app_group_id,
                    }
                },
            )
        return True

    def _release_held(self, consumer: AIOKafkaConsumer) -> None:
        """Resume the held partitions whose app the registry now says is this group's."""
        for tp in list(self._held):
            if self._scope.foreign_group(tp.topic) is None:
                self._held.discard(tp)
                self._reported_foreign.discard(tp.topic)
                log.info(
                    "Consuming a log topic held back until now.",
                    extra={"ctx": {"topic": tp.topic}},
                )
                if tp in consumer.assignment():
                    consumer.resume(tp)

    async def _index(self, group: list[tuple[TopicPartition, list[ConsumerRecord]]]) -> _Outcomes:
        try:
            await self._indexer.index_batches(
                [(tp.topic, tp.partition, records) for tp, records in group]
            )
        except (Exception, asyncio.CancelledError):
            current = asyncio.current_task()
            if len(group) == 1 or (current is not None and current.cancelling()):
                raise
            # One batch's failure (its dead letter could not be written, say) must
            # not hold the others back: each is indexed again on its own, which
            # rewrites the same ids, and only the failing ones are replayed.
            alone = await asyncio.gather(
                *(
                    self._indexer.index_batches([(tp.topic, tp.partition, records)])
                    for tp, records in group
                ),
                return_exceptions=True,
            )
            return {
                tp: outcome if isinstance(outcome, BaseException) else _next_offset(records)
                for (tp, records), outcome in zip(group, alone, strict=True)
            }
        return {tp: _next_offset(records) for tp, records in group}

    async def _commit_finished(self, consumer: AIOKafkaConsumer) -> None:
        finished = {tp: task for tp, task in self._in_flight.items() if task.done()}
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        now = asyncio.get_running_loop().time()
        for tp, task in finished.items():
            del self._in_flight[tp]
            error, offset = _outcome(task, tp)
            if error is None:
                offsets[tp] = OffsetAndMetadata(offset, "")
                self._failures.pop(tp, None)
            else:
                self._replay_later(consumer, tp, error, now)
        if offsets:
            await self._commit(consumer, offsets)
        assigned = consumer.assignment()
        for tp in offsets:
            if tp in assigned:
                consumer.resume(tp)
        for tp, replay_at in list(self._replay_at.items()):
            if replay_at <= now:
                del self._replay_at[tp]
                if tp in assigned and tp not in self._in_flight:
                    consumer.resume(tp)

    def _replay_later(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, error: BaseException, now: float
    ) -> None:
        """Rewind ``tp`` to its failed batch, to be read again after a backoff."""
        # Replay the whole batch: its documents that did land are rewritten under the
        # same ids, so nothing doubles. Not at once, though: what failed it (e.g. the
        # dead-letter topic away) most likely fails the next attempt too, and replays
        # in a tight loop would hammer it thousands of times a second. The partition
        # stays paused until the backoff is over, so the others keep flowing.
        failures = self._failures.get(tp, 0) + 1
        self._failures[tp] = failures
        delay = backoff_delay(
            failures, base_s=self._settings.retry_base_s, cap_s=self._settings.retry_cap_s
        )
        self._replay_at[tp] = now + delay
        self._metrics.errors.labels("index").inc()
        log.error(
            "Indexing a batch failed; replaying it after a backoff.",
            extra={"ctx": {"partition": str(tp), "delay_s": delay, "error": repr(error)}},
        )
        if tp in consumer.assignment():
            consumer.seek(tp, self._first_offset[tp])

    async def _commit(
        self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, OffsetAndMetadata]
    ) -> None:
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as err:
            # The partitions moved (or Kafka is away): the next owner replays from
            # the last commit, and the replay is idempotent.
            self._metrics.errors.labels("commit").inc()
            log.warning("Commit failed.", extra={"ctx": {"error": repr(err)}})

    async def settle(self, partitions: set[TopicPartition]) -> None:
        """Let the partitions' batches finish (bounded), and commit what became durable."""
        consumer = self._consumer
        # Whoever owns them next reads them from the last commit, unpaused.
        for tp in partitions:
            self._failures.pop(tp, None)
            self._replay_at.pop(tp, None)
            self._held.discard(tp)
        tasks = {self._in_flight[tp] for tp in partitions if tp in self._in_flight}
        if tasks:
            await asyncio.wait(tasks, timeout=self._settings.shutdown_grace_s)
        if consumer is None:
            return
        offsets = {}
        for tp in partitions:
            task = self._in_flight.get(tp)
            if task is None:
                continue
            error, offset = _outcome(task, tp) if task.done() else (None, -1)
            if task.done() and error is None:
                offsets[tp] = OffsetAndMetadata(offset, "")
            else:
                # With another partition's batch, if one not settled here shared the
                # task: that one is then replayed from its first offset, idempotently.
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            del self._in_flight[tp]
        if offsets:
            await self._commit(consumer, offsets)

    def _report_lag(self, consumer: AIOKafkaConsumer) -> None:
        now = asyncio.get_running_loop().time()
        if (
            self._lag_reported_at is not None
            and now - self._lag_reported_at < LAG_REPORT_INTERVAL_S
        ):
            return
        self._lag_reported_at = now
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is not None and tp in self._fetched:
                lag = max(0, highwater - self._fetched[tp])
                self._metrics.lag.labels(tp.topic, str(tp.partition)).set(lag)
