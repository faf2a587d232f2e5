"""``barito.usage`` records (UsageReport) into the per-minute roll-ups."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.schemas import UsageReport, from_bytes
from barito_market.consumers.outcome import Outcome
from barito_market.usage_rollup import RollupOutcome, apply_delta, report_delta

__all__ = ["handle_usage_report"]


async def handle_usage_report(sessions: async_sessionmaker[AsyncSession], value: bytes) -> Outcome:
    """Apply one report once; raises ``PayloadError`` for bytes that are not a report."""
    report = from_bytes(UsageReport, value)
    delta = report_delta(report)
    if delta is None:
        return Outcome.skipped(RollupOutcome.UNKNOWN_APP, report.app_id)
    outcome = await apply_delta(sessions, delta)
    if outcome != RollupOutcome.APPLIED:
        return Outcome.skipped(outcome, report.app_id)
    return Outcome.done(report.app_id)
