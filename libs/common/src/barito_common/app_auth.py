"""The credentials a request carries for an app, read the one way every service reads them.

An app secret comes in ``X-App-Secret`` or as ``Authorization: Bearer
<secret>``; a group secret in ``X-App-Group-Secret`` with the app's name in
``X-App-Name``. The receiver accepts only these; the tail server also treats
a bearer value that is no app secret as a market token.

A group secret with a display name that two active apps of the group share
is refused with 409 naming their slugs, in every service alike: picking one
of them would write to, or show, an app the sender may not have meant.

Example::

    credentials = AppCredentials.from_headers(request.headers)
    profile = credentials.app_in(registry)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from barito_common.app_registry import AmbiguousAppName, AppRegistry
from barito_common.errors import ApiError
from barito_common.schemas import AppProfile

__all__ = ["HOW_TO_AUTHENTICATE", "AppCredentials"]

HOW_TO_AUTHENTICATE = (
    "send the app secret in X-App-Secret (or Authorization: Bearer <secret>), "
    "or the group secret in X-App-Group-Secret with the app's name in X-App-Name"
)


@dataclass(frozen=True)
class AppCredentials:
    secret: str | None = None
    """The app secret, from X-App-Secret or else the bearer value."""
    from_bearer: bool = False
    """Whether ``secret`` came as a bearer value (it may then be a market token)."""
    group_secret: str | None = None
    app_name: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> AppCredentials:
        """Read the credentials; ``headers`` must be case-insensitive (Starlette's are)."""
        bearer = _bearer(headers)
        explicit = headers.get("x-app-secret") or None
        return cls(
            secret=explicit or bearer,
            from_bearer=explicit is None and bearer is not None,
            group_secret=headers.get("x-app-group-secret") or None,
            app_name=headers.get("x-app-name") or None,
        )

    def app_in(
        self, registry: AppRegistry, *, default_name: str | None = None
    ) -> AppProfile | None:
        """The app these credentials name: by its secret, or by group secret and name.

        ``default_name`` stands in for a missing X-App-Name (the tail's path
        names the app). Raises ``ApiError`` 409 for a name two active apps share.
        """
        if self.secret:
            return registry.by_secret(self.secret)
        app_name = self.app_name or default_name
        if not (self.group_secret and app_name):
            return None
        try:
            return registry.by_group_secret(self.group_secret, app_name)
        except AmbiguousAppName as err:
            raise ApiError(
                409, str(err), code="ambiguous_app_name", details={"slugs": err.slugs}
            ) from err


def _bearer(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
