"""``barito.logs.dlq`` records (DeadLetter) into each minute's dead-lettered count.

The dead-letter topic is the one source of ``dead_lettered``; flow's own
count in its usage reports is ignored (see :mod:`barito_market.usage.rollup`).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.schemas import DeadLetter
from barito_market.consumers.outcome import Outcome
from barito_market.usage.rollup import RollupOutcome, apply_delta, dead_letter_delta

__all__ = ["apply_dead_letter"]


async def apply_dead_letter(
    sessions: async_sessionmaker[AsyncSession], letter: DeadLetter
) -> Outcome:
    """Count one letter once (identified by its topic/partition/offset/position)."""
    delta = dead_letter_delta(letter)
    if delta is None:
        return Outcome.skipped(RollupOutcome.UNKNOWN_APP, letter.app_id)
    outcome = await apply_delta(sessions, delta)
    if outcome != RollupOutcome.APPLIED:
        return Outcome.skipped(outcome, letter.app_id)
    return Outcome.done(letter.app_id)
