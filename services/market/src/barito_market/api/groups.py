"""/api/v1/groups: app groups, their members and roles, and the group secret."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from barito_market.accounts.access import readable_group, require_role
from barito_market.dependencies import (
    CurrentUserDep,
    PublisherDep,
    SessionDep,
    SettingsDep,
    TemplatesDep,
)
from barito_market.groups import lifecycle, members
from barito_market.groups.views import group_public, visible_groups
from barito_market.models import Role
from barito_market.schemas.groups import (
    GroupCreate,
    GroupPublic,
    GroupSecretIssued,
    GroupsPublic,
    GroupUpdate,
    MemberPublic,
    MemberSet,
    MembersPublic,
)

router = APIRouter(prefix="/groups", tags=["app groups"])

_SEEN: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in."},
    404: {"description": "No such group that you can see."},
}
_MANAGED: dict[int | str, dict[str, Any]] = {
    **_SEEN,
    403: {"description": "Your role in the group does not allow this."},
}


@router.post(
    "",
    response_model=GroupPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        401: _SEEN[401],
        403: {
            "description": "An API token limited to a group, or a slug the identity "
            "provider's role mapping names (reserved_group_slug: a superadmin's to create)."
        },
    },
)
async def create_group(body: GroupCreate, user: CurrentUserDep, session: SessionDep) -> Any:
    """Create an app group; you become its owner."""
    return await group_public(session, user, await lifecycle.create_group(session, user, body.name))


@router.get("", response_model=GroupsPublic, responses={401: _SEEN[401]})
async def list_groups(user: CurrentUserDep, session: SessionDep) -> Any:
    """The groups you belong to (every group, for a superadmin)."""
    return await visible_groups(session, user)


@router.get("/{group_slug}", response_model=GroupPublic, responses=_SEEN)
async def get_group(group_slug: str, user: CurrentUserDep, session: SessionDep) -> Any:
    """One group you belong to."""
    return await group_public(session, user, await readable_group(session, user, group_slug))


@router.patch("/{group_slug}", response_model=GroupPublic, responses=_MANAGED)
async def rename_group(
    group_slug: str, body: GroupUpdate, user: CurrentUserDep, session: SessionDep
) -> Any:
    """Rename a group (owner or admin); its slug stays."""
    group = await readable_group(session, user, group_slug)
    await require_role(session, user, group.id, Role.ADMIN)
    await lifecycle.rename_group(session, user, group, body.name)
    return await group_public(session, user, group)


@router.delete(
    "/{group_slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_MANAGED, 409: {"description": "The group still has apps."}},
)
async def delete_group(
    group_slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    templates: TemplatesDep,
) -> None:
    """Delete an empty group (owner only)."""
    group = await readable_group(session, user, group_slug)
    await require_role(session, user, group.id, Role.OWNER)
    await lifecycle.delete_group(session, publisher, templates, user, group)


@router.get("/{group_slug}/members", response_model=MembersPublic, responses=_SEEN)
async def list_members(group_slug: str, user: CurrentUserDep, session: SessionDep) -> Any:
    """Who belongs to the group, with which role."""
    return await members.list_members(session, await readable_group(session, user, group_slug))


@router.put(
    "/{group_slug}/members",
    response_model=MemberPublic,
    responses={
        **_MANAGED,
        409: {"description": "It would leave the group without an owner."},
    },
)
async def set_member(
    group_slug: str, body: MemberSet, user: CurrentUserDep, session: SessionDep
) -> Any:
    """Add a member or change a role (owner or admin; ownership: owner only)."""
    group = await readable_group(session, user, group_slug)
    actor_role = await require_role(session, user, group.id, Role.ADMIN)
    member, role = await members.set_member(session, user, actor_role, group, body.email, body.role)
    return MemberPublic(user_id=member.id, email=member.email, role=role)


@router.delete(
    "/{group_slug}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_MANAGED, 409: {"description": "It would leave the group without an owner."}},
)
async def remove_member(
    group_slug: str, user_id: uuid.UUID, user: CurrentUserDep, session: SessionDep
) -> None:
    """Remove a member (owner or admin; an owner: owner only)."""
    group = await readable_group(session, user, group_slug)
    actor_role = await require_role(session, user, group.id, Role.ADMIN)
    await members.remove_member(session, user, actor_role, group, user_id)


@router.post(
    "/{group_slug}/secret",
    response_model=GroupSecretIssued,
    status_code=status.HTTP_201_CREATED,
    responses={**_MANAGED, 503: {"description": "Kafka did not answer; nothing changed."}},
)
async def rotate_group_secret(
    group_slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> Any:
    """Issue (or rotate) the group secret; it is shown this once."""
    group = await readable_group(session, user, group_slug)
    await require_role(session, user, group.id, Role.ADMIN)
    secret, previous_until = await lifecycle.rotate_group_secret(
        session, publisher, settings, user, group
    )
    return GroupSecretIssued(group=group.slug, secret=secret, previous_valid_until=previous_until)


__all__ = ["router"]
