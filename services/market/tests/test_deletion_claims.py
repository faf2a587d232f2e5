"""Market replicas share the deletion jobs: one claim at a time, taken over when it lapses.

The market under test looks for jobs once at start and then not for an hour,
so the runners made here are the only ones claiming.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from barito_market.deletions.runner import DeletionRunner
from barito_market.models import App
from barito_market.models.governance import DeletionJob, DeletionState
from barito_testing.market import Market, market_on_postgres
from barito_testing.market_pipeline import register


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    async with market_on_postgres(stack, deletion_poll_interval_s=3600) as market:
        yield market


def runner(market: Market) -> DeletionRunner:
    return DeletionRunner(
        market.sessionmaker,
        market.app.state.search_engines,
        index_prefix=market.settings.search.index_prefix,
        lease=timedelta(minutes=5),
        poll_interval_s=0.1,
    )


@pytest.fixture
async def job_id(market: Market) -> uuid.UUID:
    owner = await market.create_user()
    app = await register(market, owner, f"claims{uuid.uuid4().hex[:6]}")
    async with market.sessionmaker() as session:
        app_id = await session.scalar(select(App.id).where(App.slug == app.slug))
        assert app_id is not None
        job = DeletionJob(
            app_id=app_id,
            start=datetime(2025, 1, 1, tzinfo=UTC),
            end=datetime(2025, 1, 2, tzinfo=UTC),
            state=DeletionState.QUEUED,
            deleted=0,
            dropped_indices=[],
        )
        session.add(job)
        await session.commit()
        return job.id


async def test_of_two_replicas_claiming_at_once_one_gets_the_job(
    market: Market, job_id: uuid.UUID
) -> None:
    first, second = runner(market), runner(market)
    async with market.sessionmaker() as one, market.sessionmaker() as other:
        claimed = await asyncio.gather(first.claim(one), second.claim(other))

    assert sorted(job is not None for job in claimed) == [False, True]
    (job,) = [job for job in claimed if job is not None]
    assert (job.id, job.state) == (job_id, DeletionState.RUNNING)


async def test_a_lapsed_claim_is_taken_over_and_a_live_one_is_not(
    market: Market, job_id: uuid.UUID
) -> None:
    async with market.sessionmaker() as session:
        assert await runner(market).claim(session) is not None
        assert await runner(market).claim(session) is None
        await session.execute(
            update(DeletionJob)
            .where(DeletionJob.id == job_id)
            .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()

        taken = await runner(market).claim(session)

    assert taken is not None and taken.id == job_id
