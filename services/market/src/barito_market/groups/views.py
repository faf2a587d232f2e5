"""App groups as the API shows them: with the caller's own role in each."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_market.accounts.token_scope import current_scope
from barito_market.models import AppGroup, Membership, User
from barito_market.schemas.groups import GroupPublic, GroupsPublic

__all__ = ["group_public", "visible_groups"]


async def group_public(session: AsyncSession, user: User, group: AppGroup) -> GroupPublic:
    """The group, with ``user``'s role in it (none for a superadmin who is no member)."""
    role = await session.scalar(
        select(Membership.role).where(
            Membership.group_id == group.id, Membership.user_id == user.id
        )
    )
    return GroupPublic(
        slug=group.slug,
        name=group.name,
        role=role,
        has_secret=group.secret_hash is not None,
        created_at=group.created_at,
    )


async def visible_groups(session: AsyncSession, user: User) -> GroupsPublic:
    """The groups ``user`` belongs to (every group, for a superadmin), by name.

    Only its group for an API token limited to one.
    """
    query = select(AppGroup).order_by(AppGroup.name, AppGroup.slug)
    if (limit := current_scope().group_id) is not None:
        query = query.where(AppGroup.id == limit)
    if not user.is_superadmin:
        query = query.join(Membership).where(Membership.user_id == user.id)
    groups = (await session.scalars(query)).all()
    return GroupsPublic(data=[await group_public(session, user, group) for group in groups])
