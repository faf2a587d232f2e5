"""Writing the audit log: every change, who made it and when."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from barito_market.client_address import current_client_address
from barito_market.models import AuditEntry, User
from barito_market.models.base import utc_now

__all__ = ["record"]


def record(
    session: AsyncSession,
    actor: User | str | None,
    action: str,
    *,
    target_kind: str,
    target_id: uuid.UUID | str,
    group_id: uuid.UUID | None = None,
    **details: Any,
) -> None:
    """Add an entry to the caller's transaction: it is kept exactly when the change is.

    An ``actor`` given as a string is the email of a caller who is no user
    (what a failed sign-in tried). The client's address is the request's, when
    there is one.
    ``details`` must never hold a secret; names, roles and sizes only.
    """
    user = actor if isinstance(actor, User) else None
    session.add(
        AuditEntry(
            at=utc_now(),
            actor_id=user.id if user else None,
            actor_email=user.email if user else actor,
            address=current_client_address(),
            action=action,
            target_kind=target_kind,
            target_id=str(target_id),
            group_id=group_id,
            details=details,
        )
    )
