"""``barito.usage`` records (UsageReport) into the per-minute roll-ups."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.schemas import UsageReport
from barito_market.consumers.outcome import Outcome
from barito_market.usage.rollup import RollupOutcome, apply_delta, report_delta

__all__ = ["apply_usage_report"]


async def apply_usage_report(
    sessions: async_sessionmaker[AsyncSession], report: UsageReport
) -> Outcome:
    """Apply one report once (a redelivered ``report_id`` changes nothing)."""
    delta = report_delta(report)
    if delta is None:
        return Outcome.skipped(RollupOutcome.UNKNOWN_APP, report.app_id)
    outcome = await apply_delta(sessions, delta)
    if outcome != RollupOutcome.APPLIED:
        return Outcome.skipped(outcome, report.app_id)
    return Outcome.done(report.app_id)
