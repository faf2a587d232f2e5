"""What a caller may see and do in an app group (the caller comes from
:mod:`barito_market.accounts.authentication`).

* :func:`readable_group` / :func:`readable_app` — a group or app the caller
  belongs to (a superadmin sees all); 404 otherwise, never 403, so the names
  of other tenants do not leak (architecture §5).
* :func:`require_role` — the caller sees the group but lacks the role: 403.

An API token limited to a group narrows all of them: the caller belongs to
that group only (:mod:`barito_market.accounts.token_scope`).

Example::

    @router.delete("/apps/{slug}")
    async def delete_app(slug: str, user: CurrentUserDep, session: SessionDep) -> None:
        app = await readable_app(session, user, slug)
        await require_role(session, user, app.group_id, Role.ADMIN)
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from barito_common.errors import ApiError
from barito_common.schemas import AppStatus
from barito_market.accounts.token_scope import current_scope
from barito_market.models import App, AppGroup, Membership, Role, User

__all__ = [
    "ROLE_RANK",
    "group_role",
    "readable_app",
    "readable_group",
    "require_role",
]

ROLE_RANK = {Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


async def group_role(session: AsyncSession, user: User, group_id: uuid.UUID) -> Role | None:
    """The caller's role in the group; a superadmin counts as owner everywhere.

    None for every group but its own when the caller's API token is limited
    to a group: to such a token the others do not exist.
    """
    if not current_scope().sees_group(group_id):
        return None
    if user.is_superadmin:
        return Role.OWNER
    role: Role | None = await session.scalar(
        select(Membership.role).where(
            Membership.group_id == group_id, Membership.user_id == user.id
        )
    )
    return role


def _not_found(kind: str, name: str) -> ApiError:
    return ApiError(404, f"No {kind} named '{name}' that you can see.")


async def readable_group(session: AsyncSession, user: User, group_slug: str) -> AppGroup:
    """The group if the caller belongs to it (or is a superadmin); 404 otherwise."""
    group = await session.scalar(select(AppGroup).where(AppGroup.slug == group_slug))
    if group is None or await group_role(session, user, group.id) is None:
        raise _not_found("app group", group_slug)
    return group


async def readable_app(session: AsyncSession, user: User, slug: str) -> App:
    """The app if the caller belongs to its group (or is a superadmin); 404 otherwise."""
    app = await session.scalar(
        select(App)
        .options(selectinload(App.group))
        .where(App.slug == slug, App.status != AppStatus.DELETED)
    )
    if app is None or await group_role(session, user, app.group_id) is None:
        raise _not_found("app", slug)
    return app


async def require_role(
    session: AsyncSession, user: User, group_id: uuid.UUID, at_least: Role
) -> Role:
    """403 unless the caller's role in the group is ``at_least`` or higher."""
    role = await group_role(session, user, group_id)
    if role is None or ROLE_RANK[role] < ROLE_RANK[at_least]:
        raise ApiError(403, f"This needs the {at_least.value} role (or higher) in the app group.")
    return role
