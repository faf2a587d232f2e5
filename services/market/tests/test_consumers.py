"""The market's consumers on the real Kafka and Postgres: reports, letters and events applied once.

The consumers run as the market runs them (``ConsumerRunner``), on a topic
prefix of their own, against a throwaway database migrated to head; the test
publishes real payloads to the real topics and reads the rows they become.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from barito_common.kafka import Topics, create_admin, create_producer
from barito_common.schemas import (
    Component,
    ComponentKind,
    ComponentState,
    DeadLetter,
    InfrastructureState,
    ProvisionEvent,
    UsageReport,
    to_bytes,
)
from barito_common.settings import KafkaSettings
from barito_market.consumers.runner import ConsumerRunner, group_id_for
from barito_market.models import App, Infrastructure, ProvisioningEvent, UsageMinute
from barito_testing.dead_records import read_dead_records
from barito_testing.market_database import throwaway_database
from barito_testing.market_rows import seed_app

pytestmark = pytest.mark.stack

T = TypeVar("T")


@dataclass
class Consumers:
    kafka: KafkaSettings
    sessions: async_sessionmaker[AsyncSession]
    producer: AIOKafkaProducer
    topics: Topics
    registry: CollectorRegistry

    async def publish(self, topic: str, value: bytes, key: str) -> None:
        await self.producer.send_and_wait(topic, value, key=key.encode())

    async def eventually(
        self, read: Callable[[AsyncSession], Awaitable[T]], done: Callable[[T], bool]
    ) -> T:
        """Poll the database until ``done(read(session))``; the last value read.

        Each poll reads one snapshot: under read-committed, a read of several
        statements could see a consumer's transaction half, e.g. a timeline
        line committed after the infrastructure row was read.
        """
        async with asyncio.timeout(60):
            while True:
                async with self.sessions() as session:
                    await session.connection(
                        execution_options={"isolation_level": "REPEATABLE READ"}
                    )
                    value = await read(session)
                if done(value):
                    return value
                await asyncio.sleep(0.2)


async def no_republish(session: AsyncSession, group_id: uuid.UUID, cluster: object) -> int:
    raise AssertionError("these events name no cluster and republish nothing")


@pytest.fixture(scope="module")
async def consumers(stack: Any) -> AsyncIterator[Consumers]:
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"c{uuid.uuid4().hex[:8]}."
    )
    async with throwaway_database(stack) as sessions:
        registry = CollectorRegistry()
        runner = ConsumerRunner(
            kafka, sessions, registry=registry, republish=no_republish, poll_timeout_ms=100
        )
        producer = create_producer(kafka)
        await producer.start()
        await runner.start()
        try:
            yield Consumers(kafka, sessions, producer, Topics(kafka.topic_prefix), registry)
        finally:
            await runner.stop()
            await producer.stop()


async def new_app(consumers: Consumers) -> tuple[App, Infrastructure]:
    _, app, infrastructure = await seed_app(consumers.sessions)
    assert infrastructure is not None
    return app, infrastructure


def minute_ago(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0) - timedelta(minutes=1)


def report(app: App, source: str, end: datetime, **counts: Any) -> UsageReport:
    return UsageReport(
        app_id=str(app.id),
        window_start=end - timedelta(seconds=10),
        window_end=end,
        source=source,  # type: ignore[arg-type]
        **{"events": 0, "bytes": 0, **counts},
    )


def letter(app: App, offset: int, failed_at: datetime) -> DeadLetter:
    return DeadLetter(
        app_id=str(app.id),
        app_slug=app.slug,
        topic=f"barito.logs.{app.slug}",
        partition=0,
        offset=offset,
        index_in_chunk=0,
        event={"n": "not a number"},
        reason="mapper_parsing_exception: failed to parse field [n]",
        failed_at=failed_at,
    )


def minutes_of(app: App) -> Callable[[AsyncSession], Awaitable[list[UsageMinute]]]:
    async def read(session: AsyncSession) -> list[UsageMinute]:
        rows = await session.scalars(
            select(UsageMinute).where(UsageMinute.app_id == app.id).order_by(UsageMinute.minute)
        )
        return list(rows)

    return read


async def test_each_topic_has_a_consumer_group_of_its_own(consumers: Consumers) -> None:
    # Sharing one group, the consumers of different topics rebalanced together:
    # one starting or stopping paused the others, and a market's shutdown could
    # wait on another consumer's join past its grace period.
    mine = consumers.topics.prefix.rstrip(".") + "-market"
    expected = {
        f"{mine}-{loop}" for loop in ("usage", "dead-letters", "provisioning", "alert-events")
    }
    admin = create_admin(consumers.kafka)
    await admin.start()
    try:
        async with asyncio.timeout(60):
            while True:
                groups = {group for group, *_ in await admin.list_consumer_groups()}
                if {g for g in groups if g.startswith(mine)} == expected:
                    break
                await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def test_usage_reports_add_up_per_minute_and_a_resent_report_counts_once(
    consumers: Consumers,
) -> None:
    app, _ = await new_app(consumers)
    minute = minute_ago(datetime.now(UTC))
    received = report(
        app, "receiver", minute + timedelta(seconds=20), events=7, bytes=700, rejected={"rate": 2}
    )
    reports = [
        received,
        received,  # the receiver sent it again after a failed attempt: same report_id
        report(app, "receiver", minute + timedelta(seconds=30), events=3, bytes=300),
        report(app, "flow", minute + timedelta(seconds=40), events=9, bytes=900, dead_lettered=4),
        report(app, "receiver", minute + timedelta(minutes=1, seconds=5), events=1, bytes=10),
    ]
    for one in reports:
        await consumers.publish(consumers.topics.usage, to_bytes(one), str(app.id))

    rows = await consumers.eventually(
        minutes_of(app), lambda rows: sum(r.received_events for r in rows) >= 11
    )

    assert [(r.minute, r.received_events, r.received_bytes) for r in rows] == [
        (minute, 10, 1000),
        (minute + timedelta(minutes=1), 1, 10),
    ]
    assert rows[0].rejected == {"rate": 2}
    assert (rows[0].indexed_events, rows[0].indexed_bytes) == (9, 900)
    # Flow's own dead-letter count is not used: the dead-letter topic is the one source.
    assert rows[0].dead_lettered == 0


async def test_dead_letters_count_per_minute_once_each(consumers: Consumers) -> None:
    app, _ = await new_app(consumers)
    minute = minute_ago(datetime.now(UTC))
    letters = [letter(app, 10, minute), letter(app, 10, minute), letter(app, 11, minute)]
    for one in letters:
        await consumers.publish(consumers.topics.dead_letters, to_bytes(one), str(app.id))
    # A marker report after the letters in another topic cannot order them, so
    # wait for the count itself and then for one more letter to land after it.
    await consumers.eventually(
        minutes_of(app), lambda rows: sum(r.dead_lettered for r in rows) >= 2
    )
    await consumers.publish(
        consumers.topics.dead_letters, to_bytes(letter(app, 12, minute)), str(app.id)
    )

    rows = await consumers.eventually(
        minutes_of(app), lambda rows: sum(r.dead_lettered for r in rows) >= 3
    )

    assert [(r.minute, r.dead_lettered) for r in rows] == [(minute, 3)]


async def test_a_record_that_is_not_a_payload_is_dead_lettered_and_the_next_one_applied(
    consumers: Consumers,
) -> None:
    app, _ = await new_app(consumers)
    minute = minute_ago(datetime.now(UTC))
    await consumers.publish(consumers.topics.usage, b"{not json", str(app.id))
    await consumers.publish(
        consumers.topics.usage,
        to_bytes(report(app, "receiver", minute, events=5, bytes=50)),
        str(app.id),
    )

    rows = await consumers.eventually(minutes_of(app), lambda rows: bool(rows))

    assert [(r.minute, r.received_events) for r in rows] == [(minute, 5)]
    dropped = consumers.registry.get_sample_value(
        "barito_events_dropped_total", {"app": "", "reason": "invalid_payload"}
    )
    assert dropped is not None and dropped >= 1
    # Kept, byte for byte, where an operator finds it, with where it came from.
    key = str(app.id).encode()
    letters = await read_dead_records(
        consumers.kafka, lambda letters: any(d.key == key for d in letters)
    )
    (letter,) = [d for d in letters if d.key == key]
    assert (letter.topic, letter.value, letter.stage) == (
        consumers.topics.usage,
        b"{not json",
        "decode",
    )
    assert letter.consumer == group_id_for(consumers.topics.prefix, "usage")
    assert letter.error.startswith("PayloadError: ")


def event(
    infrastructure: Infrastructure,
    state: InfrastructureState,
    at: datetime,
    components: list[Component],
    command_id: uuid.UUID,
    message: str | None = None,
) -> ProvisionEvent:
    return ProvisionEvent(
        command_id=command_id,
        infrastructure_id=str(infrastructure.id),
        state=state,
        components=components,
        message=message,
        at=at,
    )


async def test_provisioning_events_move_the_infrastructure_and_its_components(
    consumers: Consumers,
) -> None:
    _, infrastructure = await new_app(consumers)
    command = uuid.uuid4()
    start = datetime.now(UTC)
    kafka_pending = Component(
        name="kafka-0", kind=ComponentKind.KAFKA, state=ComponentState.PENDING
    )
    kafka_up = Component(
        name="kafka-0",
        kind=ComponentKind.KAFKA,
        state=ComponentState.ACTIVE,
        address="127.0.0.1:19092",
    )
    search_up = Component(name="search-0", kind=ComponentKind.SEARCH, state=ComponentState.ACTIVE)
    provisioning = event(
        infrastructure, InfrastructureState.PROVISIONING, start, [kafka_pending], command
    )
    active = event(
        infrastructure,
        InfrastructureState.ACTIVE,
        start + timedelta(seconds=2),
        [kafka_up, search_up],
        command,
        "ready",
    )
    # A redelivery replays both after the newer one: no second line, no step back.
    for one in [provisioning, active, provisioning, active]:
        await consumers.publish(
            consumers.topics.provisioning_events, to_bytes(one), str(infrastructure.id)
        )

    async def read(session: AsyncSession) -> tuple[Infrastructure, list[ProvisioningEvent]]:
        row = await session.scalar(
            select(Infrastructure)
            .options(selectinload(Infrastructure.components))
            .where(Infrastructure.id == infrastructure.id)
        )
        assert row is not None
        timeline = await session.scalars(
            select(ProvisioningEvent)
            .where(ProvisioningEvent.infrastructure_id == infrastructure.id)
            .order_by(ProvisioningEvent.at)
        )
        return row, list(timeline)

    row, timeline = await consumers.eventually(
        read, lambda value: value[0].state == InfrastructureState.ACTIVE
    )
    # One more event after the replays proves they have all been consumed.
    marker = event(
        infrastructure,
        InfrastructureState.ACTIVE,
        start + timedelta(seconds=3),
        [],
        command,
        "still ready",
    )
    await consumers.publish(
        consumers.topics.provisioning_events, to_bytes(marker), str(infrastructure.id)
    )
    row, timeline = await consumers.eventually(read, lambda value: len(value[1]) >= 3)

    assert row.state == InfrastructureState.ACTIVE
    assert row.message == "still ready"
    assert [(c.name, c.state, c.address) for c in row.components] == [
        ("kafka-0", ComponentState.ACTIVE, "127.0.0.1:19092"),
        ("search-0", ComponentState.ACTIVE, None),
    ]
    assert [(line.source, line.state) for line in timeline] == [
        ("event", "PROVISIONING"),
        ("event", "ACTIVE"),
        ("event", "ACTIVE"),
    ]


async def test_an_older_event_arriving_late_is_kept_in_the_timeline_but_does_not_move_state(
    consumers: Consumers,
) -> None:
    _, infrastructure = await new_app(consumers)
    now = datetime.now(UTC)
    failed = event(infrastructure, InfrastructureState.ERROR, now, [], uuid.uuid4(), "no disk left")
    older = event(
        infrastructure,
        InfrastructureState.PROVISIONING,
        now - timedelta(minutes=1),
        [],
        failed.command_id,
    )
    for one in [failed, older]:
        await consumers.publish(
            consumers.topics.provisioning_events, to_bytes(one), str(infrastructure.id)
        )

    async def read(session: AsyncSession) -> tuple[InfrastructureState, str | None, int]:
        row = await session.get(Infrastructure, infrastructure.id)
        assert row is not None
        lines = await session.scalars(
            select(ProvisioningEvent).where(
                ProvisioningEvent.infrastructure_id == infrastructure.id
            )
        )
        return row.state, row.message, len(list(lines))

    state, message, lines = await consumers.eventually(read, lambda value: value[2] >= 2)

    assert (state, message, lines) == (InfrastructureState.ERROR, "no disk left", 2)
