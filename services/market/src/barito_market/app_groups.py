"""App groups: creating, renaming, members and roles, the group secret, deleting.

Routes have already checked that the caller sees the group (404) and holds
the role (403); these functions enforce the rules about the group's own
state: 409 for a last owner or a group that still has apps.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.capacity import CapacityTemplate
from barito_common.errors import ApiError
from barito_common.schemas import AppStatus, ProvisionCommandKind
from barito_market import audit_log
from barito_market.conflicts import flush_or_conflict
from barito_market.credentials import hash_token, new_app_secret
from barito_market.models import App, AppGroup, Infrastructure, Membership, Role, User
from barito_market.provisioning import issue_command
from barito_market.publisher import Publisher
from barito_market.registry_sync import publish_apps
from barito_market.secret_rotation import rotate
from barito_market.settings import MarketSettings
from barito_market.slugs import unique_slug

__all__ = [
    "create_group",
    "delete_group",
    "live_apps",
    "remove_member",
    "rename_group",
    "rotate_group_secret",
    "set_member",
]


async def create_group(session: AsyncSession, user: User, name: str) -> AppGroup:
    """A new group owned by ``user``. The caller commits."""
    group = AppGroup(name=name, slug=await unique_slug(session, AppGroup.slug, name))
    session.add(group)
    await flush_or_conflict(session, "Another group was created at the same moment; try again.")
    session.add(Membership(group_id=group.id, user_id=user.id, role=Role.OWNER))
    audit_log.record(
        session,
        user,
        "group.create",
        target_kind="group",
        target_id=group.id,
        group_id=group.id,
        name=name,
        slug=group.slug,
    )
    return group


async def rename_group(session: AsyncSession, user: User, group: AppGroup, name: str) -> None:
    audit_log.record(
        session,
        user,
        "group.rename",
        target_kind="group",
        target_id=group.id,
        group_id=group.id,
        old=group.name,
        new=name,
    )
    group.name = name
    await session.commit()


async def live_apps(session: AsyncSession, group_id: uuid.UUID) -> list[App]:
    rows = await session.scalars(
        select(App).where(App.group_id == group_id, App.status != AppStatus.DELETED)
    )
    return list(rows)


async def _owner_count(session: AsyncSession, group_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).where(Membership.group_id == group_id, Membership.role == Role.OWNER)
    )
    return count or 0


async def set_member(
    session: AsyncSession, actor: User, actor_role: Role, group: AppGroup, email: str, role: Role
) -> tuple[User, Role]:
    """Add a member or change their role; only an owner grants or takes away ownership."""
    member = await session.scalar(select(User).where(User.email == email))
    if member is None:
        raise ApiError(404, f"No account with the email {email}; they must sign up first.")
    membership = await session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == member.id)
    )
    touches_owner = role == Role.OWNER or (membership is not None and membership.role == Role.OWNER)
    if touches_owner and actor_role != Role.OWNER:
        raise ApiError(403, "Only an owner may grant or change the owner role.")
    if membership is None:
        membership = Membership(group_id=group.id, user_id=member.id, role=role)
        session.add(membership)
        await flush_or_conflict(session, f"{email} was added to the group at the same moment.")
    else:
        demotes_owner = membership.role == Role.OWNER and role != Role.OWNER
        if demotes_owner and await _owner_count(session, group.id) <= 1:
            raise ApiError(409, "A group keeps at least one owner; make someone else owner first.")
        membership.role = role
    audit_log.record(
        session,
        actor,
        "group.member.set",
        target_kind="group",
        target_id=group.id,
        group_id=group.id,
        email=email,
        role=role.value,
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
    )
    await session.commit()


async def rotate_group_secret(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    actor: User,
    group: AppGroup,
) -> tuple[str, datetime | None]:
    """A new group secret (returned once); the old one works for the grace period."""
    now = datetime.now(UTC)
    grace = timedelta(seconds=settings.secret_grace_s)
    secret = new_app_secret()
    previous_until = now + grace if group.secret_hash and grace else None
    group.retiring_secrets = rotate(group.secret_hash, group.retiring_secrets, now=now, grace=grace)
    group.secret_hash = hash_token(secret)
    audit_log.record(
        session,
        actor,
        "group.secret.rotate",
        target_kind="group",
        target_id=group.id,
        group_id=group.id,
    )
    await session.flush()
    await publish_apps(session, publisher, settings, await live_apps(session, group.id), group)
    await session.commit()
    return secret, previous_until


async def delete_group(
    session: AsyncSession,
    publisher: Publisher,
    templates: Mapping[str, CapacityTemplate],
    actor: User,
    group: AppGroup,
) -> None:
    """Delete an empty group (409 while it has apps), its infrastructure included."""
    if await live_apps(session, group.id):
        raise ApiError(409, "The group still has apps; delete them first.")
    deleted = list(await session.scalars(select(App).where(App.group_id == group.id)))
    infrastructure = await session.scalar(
        select(Infrastructure).where(Infrastructure.group_id == group.id)
    )
    if infrastructure is not None:
        await issue_command(
            session,
            publisher,
            infrastructure,
            ProvisionCommandKind.DELETE,
            templates[infrastructure.capacity],
            actor=actor,
        )
    # Deleted apps leave the registry for good once their group is gone.
    for app in deleted:
        await publisher.publish_tombstone(str(app.id))
    audit_log.record(
        session,
        actor,
        "group.delete",
        target_kind="group",
        target_id=group.id,
        group_id=group.id,
        name=group.name,
        slug=group.slug,
    )
    await session.delete(group)
    await session.commit()
