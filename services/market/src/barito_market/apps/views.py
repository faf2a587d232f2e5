"""Apps as the API shows them: endpoints, capacity, status, infrastructure state."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from barito_common.schemas import AppStatus
from barito_market.accounts.access import group_role, readable_group
from barito_market.accounts.token_scope import current_scope
from barito_market.apps.endpoints import app_endpoints
from barito_market.apps.secret_rotation import live_retiring
from barito_market.groups.cluster import cluster_of
from barito_market.models import App, Infrastructure, Membership, User
from barito_market.schemas.apps import AppPublic, AppsPublic, InfrastructureSummary
from barito_market.settings import MarketSettings

__all__ = ["app_public", "visible_apps"]


async def app_public(session: AsyncSession, settings: MarketSettings, app: App) -> AppPublic:
    """``app.group`` must be loaded."""
    infrastructure = await session.scalar(
        select(Infrastructure).where(Infrastructure.group_id == app.group_id)
    )
    return _public(settings, app, infrastructure)


def _public(settings: MarketSettings, app: App, infrastructure: Infrastructure | None) -> AppPublic:
    retiring = live_retiring(app.retiring_secrets, now=datetime.now(UTC))
    cluster = cluster_of(infrastructure)
    return AppPublic(
        slug=app.slug,
        name=app.name,
        group=app.group.slug,
        group_name=app.group.name,
        capacity=app.capacity,
        tps=app.tps,
        custom_tps=app.custom_tps is not None,
        retention_days=app.retention_days,
        status=app.status,
        endpoints=app_endpoints(
            settings, app_slug=app.slug, group_slug=app.group.slug, cluster=cluster
        ),
        infrastructure=(
            InfrastructureSummary(
                state=infrastructure.state,
                capacity=infrastructure.capacity,
                placement=infrastructure.placement,
                message=infrastructure.message,
            )
            if infrastructure
            else None
        ),
        cluster=cluster,
        previous_secret_valid_until=max((s.valid_until for s in retiring), default=None),
        has_forward_key=app.forward_key_sealed is not None,
        created_at=app.created_at,
        updated_at=app.updated_at,
    )


async def visible_apps(
    session: AsyncSession, settings: MarketSettings, user: User, *, group_slug: str | None
) -> AppsPublic:
    """The live apps ``user`` can see, by slug; of one group (404 unless readable) if named.

    Only its group's for an API token limited to one.
    """
    query = (
        select(App)
        .options(selectinload(App.group))
        .where(App.status != AppStatus.DELETED)
        .order_by(App.slug)
    )
    if group_slug is not None:
        group = await readable_group(session, user, group_slug)
        query = query.where(App.group_id == group.id)
    elif (limit := current_scope().group_id) is not None:
        # A token limited to a group: that group's apps, if it may see it at all.
        group_ids = [limit] if await group_role(session, user, limit) else []
        query = query.where(App.group_id.in_(group_ids))
    elif not user.is_superadmin:
        query = query.join(Membership, Membership.group_id == App.group_id).where(
            Membership.user_id == user.id
        )
    apps = (await session.scalars(query)).all()
    # One query for every group's infrastructure, not one per app: a list of a
    # thousand apps would otherwise cost a thousand round trips to Postgres.
    infrastructures = {
        infrastructure.group_id: infrastructure
        for infrastructure in await session.scalars(
            select(Infrastructure).where(
                Infrastructure.group_id.in_({app.group_id for app in apps})
            )
        )
    }
    return AppsPublic(
        data=[_public(settings, app, infrastructures.get(app.group_id)) for app in apps]
    )
