"""An app as the API shows it: endpoints, capacity, status, infrastructure state."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_market.endpoints import app_endpoints
from barito_market.group_cluster import cluster_of
from barito_market.models import App, Infrastructure
from barito_market.schemas.apps import AppPublic, InfrastructureSummary
from barito_market.secret_rotation import live_retiring
from barito_market.settings import MarketSettings

__all__ = ["app_public"]


async def app_public(session: AsyncSession, settings: MarketSettings, app: App) -> AppPublic:
    """``app.group`` must be loaded."""
    infrastructure = await session.scalar(
        select(Infrastructure).where(Infrastructure.group_id == app.group_id)
    )
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
        created_at=app.created_at,
        updated_at=app.updated_at,
    )
