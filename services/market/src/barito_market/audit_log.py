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
    actor: User | None,
    action: str,
    *,
    target_kind: str,
    target_id: uuid.UUID | str,
    group_id: uuid.UUID | None = None,
    actor_email: str | None = None,
    **details: Any,
) -> None:
    """Add an entry to the caller's transaction: it is kept exactly when the change is.

    ``actor_email`` names a caller who is no user (the email a failed sign-in
    tried). The client's address is the request's, when there is one.
    ``details`` must never hold a secret; names, roles and sizes only.
    """
    session.add(
        AuditEntry(
            at=utc_now(),
            actor_id=actor.id if actor else None,
            actor_email=actor.email if actor else actor_email,
            address=current_client_address(),
            action=action,
            target_kind=target_kind,
            target_id=str(target_id),
            group_id=group_id,
            details=details,
        )
    )
