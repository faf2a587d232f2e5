"""Infrastructures as the admin API shows them: states, components and the timeline."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from barito_common.errors import ApiError
from barito_market.models import AppGroup, Infrastructure, ProvisioningEvent
from barito_market.schemas.admin import (
    ComponentPublic,
    InfrastructureDetail,
    InfrastructurePublic,
    InfrastructuresPublic,
    TimelineEntry,
)

__all__ = ["find_infrastructure", "infrastructure_detail", "list_infrastructures"]


def _with_group() -> Select[Infrastructure, AppGroup]:
    return (
        select(Infrastructure, AppGroup)
        .join(AppGroup, AppGroup.id == Infrastructure.group_id)
        .options(selectinload(Infrastructure.components))
    )


def _public(infrastructure: Infrastructure, group: AppGroup) -> dict[str, Any]:
    return {
        "id": infrastructure.id,
        "group": group.slug,
        "group_name": group.name,
        "capacity": infrastructure.capacity,
        "state": infrastructure.state,
        "placement": infrastructure.placement,
        "cluster": infrastructure.cluster,
        "message": infrastructure.message,
        "components": [ComponentPublic.model_validate(c) for c in infrastructure.components],
        "created_at": infrastructure.created_at,
        "updated_at": infrastructure.updated_at,
    }


async def list_infrastructures(session: AsyncSession) -> InfrastructuresPublic:
    """Every infrastructure with its components, by group slug."""
    rows = await session.execute(_with_group().order_by(AppGroup.slug))
    return InfrastructuresPublic(
        data=[InfrastructurePublic(**_public(infra, group)) for infra, group in rows.all()]
    )


async def find_infrastructure(
    session: AsyncSession, infrastructure_id: uuid.UUID
) -> tuple[Infrastructure, AppGroup]:
    """The infrastructure and its group; 404 when there is none with this id."""
    row = (
        await session.execute(_with_group().where(Infrastructure.id == infrastructure_id))
    ).one_or_none()
    if row is None:
        raise ApiError(404, f"No infrastructure with id {infrastructure_id}.")
    infrastructure, group = row
    return infrastructure, group


async def infrastructure_detail(
    session: AsyncSession, infrastructure_id: uuid.UUID
) -> InfrastructureDetail:
    """One infrastructure with its components and its provisioning timeline, oldest first."""
    infrastructure, group = await find_infrastructure(session, infrastructure_id)
    timeline = await session.scalars(
        select(ProvisioningEvent)
        .where(ProvisioningEvent.infrastructure_id == infrastructure.id)
        .order_by(ProvisioningEvent.at, ProvisioningEvent.source)
    )
    return InfrastructureDetail(
        **_public(infrastructure, group),
        timeline=[TimelineEntry.model_validate(line) for line in timeline],
    )
