"""Who belongs to an app group, with which role: listed, added, changed, removed.

Routes have already checked that the caller sees the group (404) and holds
the role (403); these functions enforce the rules about the group's own
members: only an owner touches ownership, and a group keeps one owner (409).
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError
from barito_market import audit_log
from barito_market.conflicts import flush_or_conflict
from barito_market.models import AppGroup, Membership, MembershipSource, Role, User
from barito_market.schemas.groups import MemberPublic, MembersPublic

__all__ = ["list_members", "remove_member", "set_member"]


async def list_members(session: AsyncSession, group: AppGroup) -> MembersPublic:
    """The group's members with their roles and where each role came from, by email."""
    rows = await session.execute(
        select(User.id, User.email, Membership.role, Membership.source)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group.id)
        .order_by(User.email)
    )
    return MembersPublic(
        data=[
            MemberPublic(user_id=uid, email=email, role=role, source=source)
            for uid, email, role, source in rows
        ]
    )


async def _owner_count(session: AsyncSession, group_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).where(Membership.group_id == group_id, Membership.role == Role.OWNER)
    )
    return count or 0


async def set_member(
    session: AsyncSession, actor: User, actor_role: Role, group: AppGroup, email: str, role: Role
) -> tuple[User, Role]:
    """Add a member or change their role; only an owner grants or takes away ownership.

    A role set by hand makes the membership ``manual``, also one the identity
    provider granted: the group's owners took it over (sign-ins reapply only
    what the provider granted).
    """
    member = await session.scalar(select(User).where(User.email == email))
    if member is None:
        raise ApiError(404, f"No account with the email {email}; they must sign up first.")
    membership = await session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == member.id)
    )
    touches_owner = role == Role.OWNER or (membership is not None and membership.role == Role.OWNER)
    if touches_owner and actor_role != Role.OWNER:
        raise ApiError(403, "Only an owner may grant or change the owner role.")
    previous = membership.role.value if membership else None
    if membership is None:
        membership = Membership(group_id=group.id, user_id=member.id, role=role)
        session.add(membership)
        await flush_or_conflict(session, f"{email} was added to the group at the same moment.")
    else:
        demotes_owner = membership.role == Role.OWNER and role != Role.OWNER
        if demotes_owner and await _owner_count(session, group.id) <= 1:
            raise ApiError(409, "A group keeps at least one owner; make someone else owner first.")
        membership.role = role
        membership.source = MembershipSource.MANUAL
    audit_log.record(
        session,
        actor,
        "group.member.set",
        target_kind="group",
        target_id=group.id,
        group_id=group.id,
        email=email,
        role=role.value,
        previous_role=previous,
    )
    await session.commit()
    return member, role


async def remove_member(
    session: AsyncSession, actor: User, actor_role: Role, group: AppGroup, user_id: uuid.UUID
) -> None:
    membership = await session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user_id)
    )
    if membership is None:
        raise ApiError(404, "That user is not a member of this group.")
    if membership.role == Role.OWNER:
        if actor_role != Role.OWNER:
            raise ApiError(403, "Only an owner may remove an owner.")
        if await _owner_count(session, group.id) <= 1:
            raise ApiError(409, "A group keeps at least one owner; make someone else owner first.")
    await session.delete(membership)
    audit_log.record(
        session,
        actor,
        "group.member.remove",
        target_kind="group",
        target_id=group.id,
        group_id=group.id,
        user_id=str(user_id),
        email=await session.scalar(select(User.email).where(User.id == user_id)),
    )
    await session.commit()
