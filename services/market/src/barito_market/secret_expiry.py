"""Ending a rotated group secret's grace period on time.

An app's retiring secrets carry their deadline in its AppProfile, but
``group_secret_hashes`` is a plain list: a retiring group secret is listed
only while its grace lasts, so once it runs out the group's apps must be
published again without it. This sweep does that, every minute or so.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_market.app_groups import live_apps
from barito_market.models import AppGroup
from barito_market.publisher import Publisher
from barito_market.registry_sync import publish_apps
from barito_market.secret_rotation import live_retiring
from barito_market.settings import MarketSettings

__all__ = ["expire_group_secrets", "expire_group_secrets_forever"]

log = logging.getLogger(__name__)


async def expire_group_secrets(
    session: AsyncSession, publisher: Publisher, settings: MarketSettings, *, now: datetime
) -> int:
    """Drop group secrets whose grace ended and republish their apps; returns groups changed."""
    changed = 0
    for group in (await session.scalars(select(AppGroup))).all():
        if not group.retiring_secrets:
            continue
        live = live_retiring(group.retiring_secrets, now=now)
        if len(live) == len(group.retiring_secrets):
            continue
        group.retiring_secrets = [secret.model_dump(mode="json") for secret in live]
        await session.flush()
        # Profiles are built with the real clock; the group's list is already pruned.
        await publish_apps(publisher, settings, await live_apps(session, group.id), group)
        await session.commit()
        changed += 1
    return changed


async def expire_group_secrets_forever(
    sessionmaker: async_sessionmaker[AsyncSession],
    publisher: Publisher,
    settings: MarketSettings,
) -> None:
    while True:
        await asyncio.sleep(settings.secret_sweep_interval_s)
        try:
            async with sessionmaker() as session:
                await expire_group_secrets(session, publisher, settings, now=datetime.now(UTC))
        except asyncio.CancelledError:
            raise
        except Exception as err:
            # Kafka or the database is away; the next sweep tries again.
            log.warning("Group secret sweep failed.", extra={"ctx": {"error": repr(err)}})
