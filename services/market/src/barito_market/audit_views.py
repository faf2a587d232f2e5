"""Reading the audit log: whose entries a caller sees, the filters, pages newest first.

Who sees what (the API's ``GET /api/v1/audit`` and its NDJSON export):

* a superadmin: every entry, those of no group (sign-ins, accounts) included;
* anyone else: the entries of the groups where they are owner or admin, and
  nothing that belongs to no group;
* ``?group=x``: that group only — 404 unless the caller belongs to it, 403
  unless as owner or admin (a superadmin counts as owner);
* an API token limited to a group: that group only, whoever its user is.

Pages are keyset pages on ``(at, id)``, newest first: the cursor names the
last entry served, so entries written meanwhile neither repeat nor shift a
page.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_market.accounts.access import ROLE_RANK, group_role, readable_group, require_role
from barito_market.accounts.token_scope import current_scope
from barito_market.models import AppGroup, AuditEntry, Membership, Role, User
from barito_market.schemas.audit import AuditEntryPublic, AuditPage
from barito_market.search.log_search import invalid_field

__all__ = [
    "AuditFilter",
    "audit_filter",
    "audit_lines",
    "audit_page",
    "decode_cursor",
]

Cursor = tuple[datetime, uuid.UUID]

_EXPORT_PAGE = 500


@dataclass(frozen=True)
class AuditFilter:
    """Which entries: ``group_ids`` None means every entry (a superadmin's view)."""

    group_ids: frozenset[uuid.UUID] | None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def _administered(session: AsyncSession, user: User) -> frozenset[uuid.UUID] | None:
    """The groups whose entries ``user`` sees without naming one; None: all entries."""
    limit = current_scope().group_id
    if limit is not None:
        role = await group_role(session, user, limit)
        sees = role is not None and ROLE_RANK[role] >= ROLE_RANK[Role.ADMIN]
        return frozenset({limit}) if sees else frozenset()
    if user.is_superadmin:
        return None
    rows = await session.scalars(
        select(Membership.group_id).where(
            Membership.user_id == user.id, Membership.role.in_([Role.OWNER, Role.ADMIN])
        )
    )
    return frozenset(rows)


def _utc(name: str, moment: datetime | None) -> datetime | None:
    """The moment in UTC (one without a zone is taken as UTC); 422 naming it if out of range."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as err:
        raise invalid_field(name, "out of range") from err


async def audit_filter(
    session: AsyncSession,
    user: User,
    *,
    group: str | None,
    actor: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
) -> AuditFilter:
    """The caller's filter: what they asked for, narrowed to what they may see (404/403)."""
    if group is not None:
        found = await readable_group(session, user, group)
        await require_role(session, user, found.id, Role.ADMIN)
        group_ids: frozenset[uuid.UUID] | None = frozenset({found.id})
    else:
        group_ids = await _administered(session, user)
    return AuditFilter(
        group_ids=group_ids,
        actor=actor.strip().lower() if actor else None,
        action=action or None,
        since=_utc("since", since),
        until=_utc("until", until),
    )


def encode_cursor(entry: AuditEntry) -> str:
    raw = f"{entry.at.isoformat()}|{entry.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Cursor:
    """The (at, id) a cursor names; 422 naming ``cursor`` if it is not one we gave out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, entry_id = raw.partition("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError(at)
        return moment.astimezone(UTC), uuid.UUID(entry_id)
    except (ValueError, OverflowError, binascii.Error) as err:
        raise invalid_field("cursor", "not a cursor this API gave out; start without one") from err


def _query(where: AuditFilter, after: Cursor | None) -> Select[AuditEntry, str]:
    query = select(AuditEntry, AppGroup.slug).outerjoin(
        AppGroup, AppGroup.id == AuditEntry.group_id
    )
    if where.group_ids is not None:
        query = query.where(AuditEntry.group_id.in_(where.group_ids))
    if where.actor:
        query = query.where(AuditEntry.actor_email == where.actor)
    if where.action:
        # "app." is a prefix (every app action); anything else is one action.
        query = query.where(
            AuditEntry.action.startswith(where.action, autoescape=True)
            if where.action.endswith(".")
            else AuditEntry.action == where.action
        )
    if where.since:
        query = query.where(AuditEntry.at >= where.since)
    if where.until:
        query = query.where(AuditEntry.at < where.until)
    if after is not None:
        at, entry_id = after
        query = query.where(
            or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id))
        )
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _public(entry: AuditEntry, group_slug: str | None) -> AuditEntryPublic:
    return AuditEntryPublic(
        id=entry.id,
        at=entry.at,
        actor_id=entry.actor_id,
        actor_email=entry.actor_email,
        address=entry.address,
        action=entry.action,
        target_kind=entry.target_kind,
        target_id=entry.target_id,
        group=group_slug,
        details=entry.details or {},
    )


async def audit_page(
    session: AsyncSession, where: AuditFilter, *, limit: int, after: Cursor | None
) -> AuditPage:
    """Up to ``limit`` entries older than ``after`` (the newest without it)."""
    rows = (await session.execute(_query(where, after).limit(limit + 1))).all()
    page = rows[:limit]
    more = len(rows) > limit
    return AuditPage(
        data=[_public(entry, slug) for entry, slug in page],
        next_cursor=encode_cursor(page[-1][0]) if more and page else None,
    )


async def audit_lines(
    sessionmaker: async_sessionmaker[AsyncSession], where: AuditFilter
) -> AsyncIterator[bytes]:
    """Every matching entry as an NDJSON line, newest first, read a page at a time.

    Each page gets its own short database session, so a slow download holds
    no connection between pages.
    """
    after: Cursor | None = None
    while True:
        async with sessionmaker() as session:
            rows = (await session.execute(_query(where, after).limit(_EXPORT_PAGE))).all()
        for entry, slug in rows:
            yield _public(entry, slug).model_dump_json().encode() + b"\n"
        if len(rows) < _EXPORT_PAGE:
            return
        last = rows[-1][0]
        after = (last.at, last.id)
