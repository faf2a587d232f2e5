"""App groups: creating, renaming, the group secret, deleting.

Routes have already checked that the caller sees the group (404) and holds
the role (403); these functions enforce the rules about the group's own
state: 409 for a group that still has apps, and 403 for a new group whose
slug the identity provider's role mapping names, unless a superadmin makes it
(:mod:`barito_market.accounts.oidc.reserved_groups`). A rename keeps the slug,
so it never reaches a reserved one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.capacity import CapacityTemplate
from barito_common.errors import ApiError
from barito_common.schemas import AppStatus, ProvisionCommandKind
from barito_market import audit_log
from barito_market.accounts.credentials import hash_token, new_app_secret
from barito_market.accounts.oidc.reserved_groups import refuse_reserved_slug
from barito_market.accounts.token_scope import refuse_if_group_limited
from barito_market.apps.secret_rotation import rotate
from barito_market.apps.slugs import unique_slug
from barito_market.conflicts import flush_or_conflict
from barito_market.infrastructure.provisioning import issue_command
from barito_market.models import App, AppGroup, Infrastructure, Membership, Role, User
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import publish_apps
from barito_market.settings import MarketSettings

__all__ = [
    "add_group",
    "create_group",
    "delete_group",
    "live_apps",
    "rename_group",
    "rotate_group_secret",
]


async def add_group(session: AsyncSession, user: User, name: str) -> AppGroup:
    """A new group owned by ``user``, in the caller's transaction: the caller commits.

    403 for an API token limited to a group: it could never see the new one;
    403 for a slug the identity provider's role mapping names, unless ``user``
    is a superadmin.
    """
    refuse_if_group_limited()
    slug = await unique_slug(session, AppGroup.slug, name)
    refuse_reserved_slug(user, slug)
    group = AppGroup(name=name, slug=slug)
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


async def create_group(session: AsyncSession, user: User, name: str) -> AppGroup:
    """A new group owned by ``user``. Commits."""
    group = await add_group(session, user, name)
    await session.commit()
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
