"""The roll-up and provisioning writes on the embedded SQLite default (no Kafka needed).

The same code runs on Postgres and Kafka in test_consumers.py; here it
runs on a fresh SQLite file migrated to head, as a market without a
database URL uses.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.schemas import InfrastructureState, ProvisionEvent
from barito_market.consumers.provisioning_events import apply_provision_event
from barito_market.models import App, Infrastructure, UsageMinute
from barito_market.usage.rollup import (
    APPLIED_KEYS_KEPT,
    MinuteDelta,
    RollupOutcome,
    apply_delta,
    prune_applied_keys,
)
from barito_testing.market_rows import seed_app

MINUTE = datetime(2025, 1, 31, 10, 0, tzinfo=UTC)


async def no_republish(session: AsyncSession, group_id: uuid.UUID, cluster: object) -> int:
    raise AssertionError("an event without a cluster republishes nothing")


async def seed(sessions: async_sessionmaker[AsyncSession]) -> tuple[App, Infrastructure]:
    _, app, infrastructure = await seed_app(sessions)
    assert infrastructure is not None
    return app, infrastructure


async def minute_row(sessions: async_sessionmaker[AsyncSession], app: App) -> UsageMinute:
    async with sessions() as session:
        row = await session.scalar(select(UsageMinute).where(UsageMinute.app_id == app.id))
    assert row is not None
    return row


async def test_a_delta_applies_once_and_sources_add_up_in_one_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    app, _ = await seed(sessions)
    received = MinuteDelta(
        key=uuid.uuid4(),
        app_id=app.id,
        minute=MINUTE,
        received_events=5,
        rejected={"rate_limited": 1},
    )
    indexed = MinuteDelta(
        key=uuid.uuid4(), app_id=app.id, minute=MINUTE, indexed_events=4, indexed_bytes=40
    )
    letters = [
        MinuteDelta(key=uuid.uuid4(), app_id=app.id, minute=MINUTE, dead_lettered=1)
        for _ in range(5)
    ]

    outcomes = await asyncio.gather(
        apply_delta(sessions, received),
        apply_delta(sessions, indexed),
        *(apply_delta(sessions, letter) for letter in letters),
    )
    again = await apply_delta(sessions, received)

    assert set(outcomes) == {RollupOutcome.APPLIED}
    assert again == RollupOutcome.DUPLICATE
    row = await minute_row(sessions, app)
    assert (row.received_events, row.indexed_events, row.indexed_bytes) == (5, 4, 40)
    assert row.rejected == {"rate_limited": 1}
    assert row.dead_lettered == 5


async def test_a_delta_for_an_app_the_market_does_not_know_is_skipped(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    outcome = await apply_delta(
        sessions,
        MinuteDelta(key=uuid.uuid4(), app_id=uuid.uuid4(), minute=MINUTE, received_events=1),
    )
    assert outcome == RollupOutcome.UNKNOWN_APP


async def test_pruned_keys_are_only_those_older_than_the_topics_keep_records(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    app, _ = await seed(sessions)
    await apply_delta(
        sessions, MinuteDelta(key=uuid.uuid4(), app_id=app.id, minute=MINUTE, received_events=1)
    )
    now = datetime.now(UTC)

    assert await prune_applied_keys(sessions, now=now) == 0
    assert await prune_applied_keys(sessions, now=now + APPLIED_KEYS_KEPT + timedelta(1)) == 1


async def test_provisioning_events_move_state_and_a_replay_of_an_older_one_does_not(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    _, infrastructure = await seed(sessions)
    command = uuid.uuid4()
    active = ProvisionEvent(
        command_id=command,
        infrastructure_id=str(infrastructure.id),
        state=InfrastructureState.ACTIVE,
        at=MINUTE + timedelta(seconds=5),
    )
    older = active.model_copy(update={"state": InfrastructureState.PROVISIONING, "at": MINUTE})

    first = await apply_provision_event(sessions, active, republish=no_republish)
    late = await apply_provision_event(sessions, older, republish=no_republish)
    replay = await apply_provision_event(sessions, active, republish=no_republish)

    assert (first.applied, late.reason, replay.reason) == (True, "stale", "duplicate")
    async with sessions() as session:
        row = await session.get(Infrastructure, infrastructure.id)
    assert row is not None
    assert row.state == InfrastructureState.ACTIVE
