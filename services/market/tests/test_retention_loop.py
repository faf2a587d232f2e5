"""The hourly pruning loop: it prunes at once, and a failed pass does not stop it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_market import retention


async def test_a_failed_pass_is_logged_and_the_next_one_runs(
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(retention, "INTERVAL_S", 0.01)
    caplog.set_level(logging.INFO, logger=retention.__name__)
    passes: list[datetime] = []

    async def prune(session: AsyncSession, *, retention_days: int, now: datetime) -> int:
        assert retention_days == 7
        passes.append(now)
        if len(passes) == 1:
            raise ConnectionError("the database went away")
        return 3

    loop = asyncio.create_task(
        retention.prune_hourly(sessions, prune, retention_days=7, what="test rows")
    )
    try:
        async with asyncio.timeout(10):
            while len(passes) < 3:
                await asyncio.sleep(0.01)
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop

    assert all(now.tzinfo is UTC for now in passes)
    assert "Could not delete expired test rows." in caplog.text
    assert "Deleted test rows past the retention." in caplog.text
