"""Memberships and superadmin from the provider's groups claim, applied at each sign-in.

The directory is the authority for what it granted: memberships made from
the claim (``source=identity_provider``) are created, changed or removed to
match the claim exactly, so a person taken out of a directory group loses the
role at their next sign-in. Memberships granted by hand (``manual``) are
never touched, and a group where the user already has a manual role keeps it.
Every change is audited as a manual one would be, with ``source:
identity_provider`` and no actor (the provider decided, not a person here).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_market import audit_log
from barito_market.accounts.access import ROLE_RANK
from barito_market.models import AppGroup, Membership, MembershipSource, Role, User
from barito_market.settings import OidcSettings

__all__ = ["apply_claims", "claimed_values", "roles_wanted"]

log = logging.getLogger(__name__)

_SOURCE = MembershipSource.IDENTITY_PROVIDER


def claimed_values(claims: dict[str, Any], groups_claim: str) -> frozenset[str]:
    """The groups claim's strings; absent (or not a list) is none."""
    values = claims.get(groups_claim)
    if not isinstance(values, list):
        return frozenset()
    return frozenset(v for v in values if isinstance(v, str))


def roles_wanted(values: frozenset[str], settings: OidcSettings) -> dict[str, Role]:
    """Group slug → the highest role the claimed values grant there."""
    wanted: dict[str, Role] = {}
    for mapping in settings.roles_from_claims:
        if mapping.claim in values:
            held = wanted.get(mapping.group)
            if held is None or ROLE_RANK[mapping.role] > ROLE_RANK[held]:
                wanted[mapping.group] = mapping.role
    return wanted


async def apply_claims(
    session: AsyncSession, settings: OidcSettings, user: User, claims: dict[str, Any]
) -> None:
    """Make the user's provider-granted roles (and superadmin) what the claims say. No commit."""
    values = claimed_values(claims, settings.groups_claim)
    await _apply_roles(session, user, roles_wanted(values, settings))
    if settings.superadmin_claims:
        superadmin = not values.isdisjoint(settings.superadmin_claims)
        if superadmin != user.is_superadmin:
            user.is_superadmin = superadmin
            audit_log.record(
                session,
                None,
                "user.superadmin",
                target_kind="user",
                target_id=user.id,
                email=user.email,
                superadmin=superadmin,
                source=_SOURCE.value,
            )


async def _apply_roles(session: AsyncSession, user: User, wanted: dict[str, Role]) -> None:
    groups = {
        group.slug: group
        for group in await session.scalars(select(AppGroup).where(AppGroup.slug.in_(wanted)))
    }
    for slug in wanted.keys() - groups.keys():
        log.warning(
            "A role from the groups claim names an app group that does not exist; skipped.",
            extra={"ctx": {"group": slug, "user": user.email}},
        )
    held = {
        membership.group_id: membership
        for membership in await session.scalars(
            select(Membership).where(Membership.user_id == user.id)
        )
    }
    wanted_by_id = {groups[slug].id: role for slug, role in wanted.items() if slug in groups}
    for group_id, role in wanted_by_id.items():
        membership = held.get(group_id)
        if membership is not None and (membership.source != _SOURCE or membership.role == role):
            continue
        previous = membership.role.value if membership else None
        if membership is None:
            session.add(Membership(group_id=group_id, user_id=user.id, role=role, source=_SOURCE))
        else:
            membership.role = role
        _audit(
            session,
            "group.member.set",
            group_id,
            email=user.email,
            role=role.value,
            previous_role=previous,
        )
    for group_id, membership in held.items():
        if membership.source == _SOURCE and group_id not in wanted_by_id:
            await session.delete(membership)
            _audit(session, "group.member.remove", group_id, user_id=str(user.id), email=user.email)


def _audit(session: AsyncSession, action: str, group_id: uuid.UUID, **details: Any) -> None:
    audit_log.record(
        session,
        None,
        action,
        target_kind="group",
        target_id=group_id,
        group_id=group_id,
        source=_SOURCE.value,
        **details,
    )
