"""Why a single sign-on stops, in words the person signing in can act on."""

from __future__ import annotations

import uuid

__all__ = ["ProviderUnavailable", "SignInRefused"]


class SignInRefused(Exception):
    """The sign-in cannot go on. ``message`` is shown on the login page and audited,
    so it never holds a token, a code or a secret; ``email`` is who tried, when known,
    and ``user_id`` the account the attempt was refused at, when there is one.
    """

    def __init__(
        self, message: str, *, email: str | None = None, user_id: uuid.UUID | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.email = email
        self.user_id = user_id


class ProviderUnavailable(SignInRefused):
    """The provider did not answer, or its answer was not what OpenID Connect promises."""

    def __init__(self, message: str = "the identity provider did not answer") -> None:
        super().__init__(message)
