"""Rate reports over Kafka: each receiver process tells the others what it was asked.

Every ``interval_s`` an instance (a receiver replica, or one worker process of
one) closes its counts (:meth:`RateLimiter.take_counts`), re-splits every
app's limit from what it knows (``rate_budget``), and publishes a
:class:`RateReport` to the rates topic. It reads every partition of that topic
itself, without a consumer group (every instance must hear every report), so
no request ever waits on any of this: the hot path only reads the share the
last round left in its bucket.

Starting, it first reads the reports of the last ``window_s`` (found by
timestamp) so it knows who is there before it says it is ready (the readiness
check); a stopping instance says it leaves, so the others take its part at
once rather than after ``peer_timeout_s``. While Kafka is unreachable the
instance keeps the last known instances and splits evenly between them
(``RateView``), and keeps trying.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord
from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from barito_common.kafka import (
    Backoff,
    Topics,
    create_consumer,
    create_producer,
    ensure_topics,
    rates_topic_spec,
)
from barito_receiver.rate_budget import RateView
from barito_receiver.settings import ReceiverSettings
from barito_receiver.token_bucket import RateLimiter

__all__ = ["RateGossip", "RateReport"]

log = logging.getLogger(__name__)

# Apps per record: a report of more apps is split, so a record stays far below
# Kafka's default 1 MB (an entry is ~60 bytes of JSON).
_APPS_PER_RECORD = 5_000


class RateReport(BaseModel):
    """Receiver → receivers, on ``<prefix>rates``: one instance's counts of one interval."""

    # Read by other receiver processes, possibly of another version during a
    # rolling deploy: unknown fields are ignored, an unknown version refused.
    model_config = ConfigDict(extra="ignore")

    schema_version: Literal[1] = Field(1, description="Version of this payload's shape.")
    instance: str = Field(description="Random id of the reporting process, new at each start.")
    interval_s: float = Field(
        ge=0,
        description="Seconds of counting the report closes; 0 on the further records of a "
        "report split over several.",
    )
    apps: dict[str, tuple[int, int]] = Field(
        default_factory=dict,
        description="app_id → [events asked for, events admitted] in the interval.",
    )
    leaving: bool = Field(False, description="The instance stops: count it out now.")


class RateGossip:
    def __init__(
        self,
        settings: ReceiverSettings,
        limiter: RateLimiter,
        *,
        metrics: CollectorRegistry,
        errors: Counter,
    ) -> None:
        self._kafka = settings.kafka
        self._topic = Topics(settings.kafka.topic_prefix).rates
        self._limiter = limiter
        self._interval_s = settings.rate_report_interval_s
        self._window_s = settings.rate_window_s
        self.instance = uuid.uuid4().hex
        self.view = RateView(
            window_s=settings.rate_window_s, peer_timeout_s=settings.rate_peer_timeout_s
        )
        self._errors = errors
        self._instances = Gauge(
            "barito_rate_instances",
            "Receiver processes sharing every app's rate limit, as this one counts them.",
            registry=metrics,
            # Workers of one receiver count the same instances: any live one's count.
            multiprocess_mode="livemax",
        )
        self._instances.set(1)
        self._caught_up = asyncio.Event()
        self._next: dict[TopicPartition, int] = {}
        self._producer: AIOKafkaProducer | None = None
        self._publish_failing = False
        self._task: asyncio.Task[None] | None = None
        limiter.initial_share = self._initial_share

    def _initial_share(self, app_id: str, tps: int) -> float:
        return self.view.share(app_id, tps, time.monotonic())

    async def start(self) -> None:
        """Start in the background; never fails for a down Kafka."""
        self._task = asyncio.create_task(self._run(), name="rate-gossip")

    async def check(self) -> None:
        """Readiness: the instance knows who else enforces the limits."""
        if not self._caught_up.is_set():
            raise RuntimeError("has not read the other receivers' rate reports yet")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._producer is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._interval_s * 4):
                    await self._send(RateReport(instance=self.instance, interval_s=0, leaving=True))
                    await self._producer.flush()
            await self._producer.stop()

    async def _run(self) -> None:
        topics = Topics(self._kafka.topic_prefix)
        await ensure_topics(self._kafka, [rates_topic_spec(topics)], retry=Backoff())
        self._producer = await self._started_producer()
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._read_forever(), name="rate-reports-read")
            tasks.create_task(self._report_forever(), name="rate-reports-publish")

    async def _started_producer(self) -> AIOKafkaProducer:
        while True:
            # Its own producer, acks from the leader only: a report is worth a
            # fraction of a second, and must not queue behind the log chunks.
            producer = create_producer(self._kafka, acks=1, enable_idempotence=False, linger_ms=0)
            try:
                await producer.start()
            except Exception as err:
                await producer.stop()
                log.warning(
                    "Kafka is not reachable for rate reports yet; retrying.",
                    extra={"ctx": {"error": repr(err)}},
                )
                await asyncio.sleep(1.0)
            except BaseException:
                await producer.stop()
                raise
            else:
                return producer

    async def _report_forever(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(self._interval_s)
            now = time.monotonic()
            counts = self._limiter.take_counts()
            self.view.own.add(now, now - last, counts)
            interval_s, last = now - last, now
            self._instances.set(self.view.refresh(now))
            for app_id, app in self._limiter.apps():
                self._limiter.set_share(app_id, self.view.share(app_id, app.tps, now))
            await self._publish(interval_s, counts)

    async def _publish(self, interval_s: float, counts: dict[str, tuple[int, int]]) -> None:
        items = list(counts.items())
        parts = [items[i : i + _APPS_PER_RECORD] for i in range(0, len(items), _APPS_PER_RECORD)]
        try:
            # Enqueued only: the ack is not awaited, so a slow Kafka never
            # delays the next round; a report that is lost is a report missed.
            async with asyncio.timeout(self._interval_s):
                for n, part in enumerate(parts or [[]]):
                    report = RateReport(
                        instance=self.instance, interval_s=0 if n else interval_s, apps=dict(part)
                    )
                    await self._send(report)
        except Exception as err:
            self._errors.labels("rate_publish").inc()
            if not self._publish_failing:
                log.warning(
                    "Could not publish a rate report; the limits keep the last known split.",
                    extra={"ctx": {"error": repr(err)}},
                )
            self._publish_failing = True
        else:
            if self._publish_failing:
                log.info("Rate reports are published again.")
            self._publish_failing = False

    async def _send(self, report: RateReport) -> None:
        if self._producer is None:
            return
        # Keyed: a record without a key gets a partition from the global
        # `random`, whose state is the application's (and hypothesis's) own.
        sent = await self._producer.send(
            self._topic, report.model_dump_json().encode(), key=self.instance.encode()
        )
        sent.add_done_callback(self._acked)

    def _acked(self, sent: asyncio.Future[object]) -> None:
        if not sent.cancelled() and sent.exception() is not None:
            self._errors.labels("rate_publish").inc()

    async def _read_forever(self) -> None:
        while True:
            consumer = create_consumer(
                self._kafka, group_id=None, isolation_level="read_uncommitted",
                fetch_max_wait_ms=100, auto_offset_reset="latest",
            )  # fmt: skip
            try:
                await consumer.start()
                await self._catch_up(consumer)
                while True:
                    batches = await consumer.getmany(timeout_ms=1000)
                    now = time.monotonic()
                    for records in batches.values():
                        for record in records:
                            self._heard(record, now)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                self._errors.labels("rate_read").inc()
                log.warning(
                    "Lost the rate reports; reading them again.",
                    extra={"ctx": {"error": repr(err)}},
                )
                await asyncio.sleep(1.0)
            finally:
                await consumer.stop()

    async def _catch_up(self, consumer: AIOKafkaConsumer) -> None:
        """Read the reports of the last window, so the instances there are known at once."""
        partitions = [
            TopicPartition(self._topic, p)
            for p in sorted(consumer.partitions_for_topic(self._topic) or {0})
        ]
        consumer.assign(partitions)
        since_ms = int((time.time() - self._window_s) * 1000)
        found = await consumer.offsets_for_times({tp: since_ms for tp in partitions})
        end = await consumer.end_offsets(partitions)
        for tp in partitions:
            hit = found.get(tp)
            # After a lost connection, not again what was counted before it.
            consumer.seek(tp, max(hit.offset if hit else end[tp], self._next.get(tp, 0)))
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batches = await consumer.getmany(timeout_ms=1000)
            now, wall = time.monotonic(), time.time()
            for records in batches.values():
                for record in records:
                    # Older reports are placed by their age, so an instance
                    # that died a moment ago is not taken for a live one.
                    age = min(self._window_s, max(0.0, wall - record.timestamp / 1000))
                    self._heard(record, now - age)
        self.view.heard_self(time.monotonic())
        self._caught_up.set()

    def _heard(self, record: ConsumerRecord[bytes, bytes], arrival: float) -> None:
        self._next[TopicPartition(record.topic, record.partition)] = record.offset + 1
        try:
            report = RateReport.model_validate_json(record.value or b"")
        except ValidationError:
            self._errors.labels("rate_read").inc()
            return
        if report.instance == self.instance:
            self.view.heard_self(arrival)
        elif report.leaving:
            self.view.forget(report.instance)
        else:
            self.view.heard_peer(report.instance, arrival, report.interval_s, report.apps)
