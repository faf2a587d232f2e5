"""Why a single sign-on stops, in words the person signing in can act on."""

from __future__ import annotations

__all__ = ["ProviderUnavailable", "SignInRefused"]


class SignInRefused(Exception):
    """The sign-in cannot go on. ``message`` is shown on the login page and audited,
    so it never holds a token, a code or a secret; ``email`` is who tried, when known.
    """

    def __init__(self, message: str, *, email: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.email = email


class ProviderUnavailable(SignInRefused):
    """The provider did not answer, or its answer was not what OpenID Connect promises."""

    def __init__(self, message: str = "the identity provider did not answer") -> None:
        super().__init__(message)
