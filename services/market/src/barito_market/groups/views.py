"""App groups as the API shows them: with the caller's own role in each."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_market.accounts.token_scope import current_scope
from barito_market.models import AppGroup, Membership, Role, User
from barito_market.schemas.groups import GroupPublic, GroupsPublic

__all__ = ["group_public", "visible_groups"]


async def group_public(session: AsyncSession, user: User, group: AppGroup) -> GroupPublic:
    """The group, with ``user``'s role in it (none for a superadmin who is no member)."""
    role = await session.scalar(
        select(Membership.role).where(
            Membership.group_id == group.id, Membership.user_id == user.id
        )
    )
    return _public(group, role)


def _public(group: AppGroup, role: Role | None) -> GroupPublic:
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
    # The caller's role comes with each group in the one query: a query per
    # group made the list grow a statement per group.
    own = and_(Membership.group_id == AppGroup.id, Membership.user_id == user.id)
    query = (
        select(AppGroup, Membership.role)
        .join(Membership, own, isouter=user.is_superadmin)
        .order_by(AppGroup.name, AppGroup.slug)
    )
    if (limit := current_scope().group_id) is not None:
        query = query.where(AppGroup.id == limit)
    rows = (await session.execute(query)).all()
    return GroupsPublic(data=[_public(group, role) for group, role in rows])
