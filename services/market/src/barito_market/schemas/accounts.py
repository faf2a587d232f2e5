"""Bodies of /api/v1/auth: sign-up, login, the current user and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from barito_market.schemas.display_names import DisplayName

__all__ = [
    "AuthMethods",
    "Credentials",
    "LoginPublic",
    "LogoutPublic",
    "SignUp",
    "SingleSignOnPublic",
    "TokenCreate",
    "TokenCreated",
    "TokenPublic",
    "TokensPublic",
    "UserPublic",
]


def _email(value: str) -> str:
    value = value.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise ValueError("not an email address")
    return value


Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignUp(_Body):
    email: Email = Field(description="Login name; stored lowercased.")
    password: Password = Field(description="At least 8 characters.")


class Credentials(_Body):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    is_superadmin: bool
    created_at: datetime


class LoginPublic(BaseModel):
    user: UserPublic
    csrf_token: str = Field(
        description="Send it as X-CSRF-Token with every POST, PATCH, PUT or DELETE "
        "made with the session cookie (it is also in the barito_csrf cookie)."
    )
    expires_at: datetime


class SingleSignOnPublic(BaseModel):
    name: str = Field(description="The provider's name, for 'Sign in with <name>'.")
    login_url: str = Field(
        description="Where the browser goes to sign in (add ?next=/path to come back there)."
    )


class AuthMethods(BaseModel):
    passwords: bool = Field(description="Whether email and password logins are accepted.")
    sign_up: bool = Field(description="Whether POST /auth/signup accepts new accounts.")
    single_sign_on: SingleSignOnPublic | None = Field(
        description="The OpenID Connect provider, when the installation has one."
    )


class LogoutPublic(BaseModel):
    provider_logout_url: str | None = Field(
        description="For a single-sign-on session: open this to end the provider's session too "
        "(RP-initiated logout). None: nothing more to do."
    )


class TokenCreate(_Body):
    name: DisplayName
    expires_in_days: int | None = Field(
        None, ge=1, le=3650, description="Days until the token stops working; none: never."
    )
    read_only: bool = Field(
        False, description="Search and tail only: any change made with it is refused (403)."
    )
    group: str | None = Field(
        None,
        max_length=63,
        description="Slug of a group of yours: the token sees that group only. None: all of yours.",
    )


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: datetime
    expires_at: datetime | None
    read_only: bool
    group: str | None = Field(description="Slug of the only group it sees; none: all of yours.")


class TokenCreated(TokenPublic):
    token: str = Field(description="Shown this once; send it as 'Authorization: Bearer <token>'.")


class TokensPublic(BaseModel):
    data: list[TokenPublic]
