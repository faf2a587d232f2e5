"""The rows the market's database tests start from: a group, its app, its infrastructure."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.schemas import Placement
from barito_market.models import App, AppGroup, Infrastructure


async def seed_app(
    sessions: async_sessionmaker[AsyncSession],
    *,
    capacity: str = "small",
    infrastructure: bool = True,
    placement: Placement | None = None,
) -> tuple[AppGroup, App, Infrastructure | None]:
    """A new group with one app (unique slugs) and, unless told not to, its infrastructure.

    The infrastructure takes ``placement`` when given, else the model's default.
    """
    suffix = uuid.uuid4().hex[:8]
    async with sessions() as session, session.begin():
        group = AppGroup(name="shop", slug=f"shop-{suffix}", retiring_secrets=[])
        session.add(group)
        await session.flush()
        app = App(
            group_id=group.id,
            name="checkout",
            slug=f"checkout-{suffix}",
            capacity=capacity,
            tps=100,
            retention_days=7,
            secret_hash="0" * 64,
            retiring_secrets=[],
        )
        session.add(app)
        row = None
        if infrastructure:
            placed = {} if placement is None else {"placement": placement}
            row = Infrastructure(group_id=group.id, capacity=capacity, **placed)
            session.add(row)
    return group, app, row
