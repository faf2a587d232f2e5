"""Audit entries past the retention are deleted; younger ones, all of them, stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_market.audit_retention import delete_expired_entries
from barito_market.models import AuditEntry

NOW = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


def _entry(age: timedelta, action: str) -> AuditEntry:
    return AuditEntry(
        at=NOW - age,
        action=action,
        target_kind="user",
        target_id="someone@example.test",
        actor_email="someone@example.test",
        details={},
    )


async def test_entries_older_than_the_retention_go_and_the_rest_stay(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        session.add_all(
            [
                _entry(timedelta(days=401), "auth.login_failed"),
                _entry(timedelta(days=400, seconds=1), "app.register"),
                _entry(timedelta(days=399, hours=23), "app.delete"),
                _entry(timedelta(minutes=1), "auth.login"),
            ]
        )
        await session.commit()

        deleted = await delete_expired_entries(session, retention_days=400, now=NOW)
        again = await delete_expired_entries(session, retention_days=400, now=NOW)
        kept = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.at))).all()

    assert (deleted, again) == (2, 0)
    assert kept == ["app.delete", "auth.login"]
