"""The credentials a request carries for an app, read the one way every service reads them.

An app secret comes in ``X-App-Secret`` or as ``Authorization: Bearer
<secret>``; a group secret in ``X-App-Group-Secret`` with the app's name in
``X-App-Name``. The receiver accepts only these; the tail server also treats
a bearer value that is no app secret as a market token.

Example::

    credentials = AppCredentials.from_headers(request.headers)
    profile = credentials.app_in(registry)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from barito_common.app_registry import AppRegistry
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

    def app_in(self, registry: AppRegistry) -> AppProfile | None:
        """The app these credentials name: by its secret, or by group secret and name."""
        if self.secret:
            return registry.by_secret(self.secret)
        if self.group_secret and self.app_name:
            return registry.by_group_secret(self.group_secret, self.app_name)
        return None


def _bearer(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
