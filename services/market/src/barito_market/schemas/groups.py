"""Bodies of /api/v1/groups: app groups, their members and their secret."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from barito_market.models import MembershipSource, Role
from barito_market.schemas.accounts import Email
from barito_market.schemas.display_names import DisplayName

__all__ = [
    "GroupCreate",
    "GroupName",
    "GroupPublic",
    "GroupSecretIssued",
    "GroupUpdate",
    "GroupsPublic",
    "MemberPublic",
    "MemberSet",
    "MembersPublic",
]

GroupName = DisplayName


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupCreate(_Body):
    name: GroupName = Field(description="Display name; the slug is derived from it.")


class GroupUpdate(_Body):
    name: GroupName


class GroupPublic(BaseModel):
    slug: str = Field(description="Unique, immutable; addresses the group in URLs.")
    name: str
    role: Role | None = Field(description="Your role in the group (none for a superadmin).")
    has_secret: bool = Field(description="Whether a group secret has been issued.")
    created_at: datetime


class GroupsPublic(BaseModel):
    data: list[GroupPublic]


class MemberSet(_Body):
    email: Email = Field(description="An existing account's email.")
    role: Role


class MemberPublic(BaseModel):
    user_id: uuid.UUID
    email: str
    role: Role
    source: MembershipSource = Field(
        MembershipSource.MANUAL,
        description="manual, or identity_provider: granted from the provider's groups claim "
        "and reapplied at each sign-in.",
    )


class MembersPublic(BaseModel):
    data: list[MemberPublic]


class GroupSecretIssued(BaseModel):
    group: str = Field(description="The group's slug.")
    secret: str = Field(
        description="Shown this once. With X-App-Group-Secret and X-App-Name, an agent may "
        "write to any existing app of the group."
    )
    previous_valid_until: datetime | None = Field(
        description="Until when the replaced group secret keeps working (none if there was none)."
    )
