"""Bodies of /api/v1/audit: who changed what, when and from where."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["AuditEntryPublic", "AuditPage"]


class AuditEntryPublic(BaseModel):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None = Field(description="None for the system or an unknown caller.")
    actor_email: str | None = Field(
        description="Kept as it was when the entry was made, also after the user is gone; for "
        "a failed sign-in, the email that was tried."
    )
    address: str | None = Field(
        description="The client's address, as seen behind the market's trusted proxies."
    )
    action: str = Field(description="What happened, e.g. app.register, auth.login_failed.")
    target_kind: str
    target_id: str
    group: str | None = Field(description="Slug of the app group it concerns, if any.")
    details: dict[str, Any] = Field(description="Names, roles, sizes: never a secret.")


class AuditPage(BaseModel):
    data: list[AuditEntryPublic] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next (older) page; none at the end."
    )
