"""Which app a request writes to, decided by its secret alone.

The secret names the app, so no request can choose another app's topic: a
path or body naming some other app is never consulted. Unknown secrets get
401 and inactive apps 403 (architecture §3).
"""

from __future__ import annotations

from starlette.datastructures import Headers

from barito_common.app_registry import AppRegistry
from barito_common.errors import ApiError
from barito_common.schemas import AppProfile, AppStatus

__all__ = ["authenticate"]

_HOW = (
    "send the app secret in X-App-Secret (or Authorization: Bearer <secret>), "
    "or the group secret in X-App-Group-Secret with the app's name in X-App-Name"
)


def _bearer(headers: Headers) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def authenticate(registry: AppRegistry, headers: Headers, *, retry_after_s: int) -> AppProfile:
    if not registry.loaded:
        raise ApiError(
            503,
            "The receiver is still loading the app registry; retry shortly.",
            headers={"Retry-After": str(retry_after_s)},
        )
    secret = headers.get("x-app-secret") or _bearer(headers)
    group_secret = headers.get("x-app-group-secret")
    if secret:
        profile = registry.by_secret(secret)
        if profile is None:
            raise ApiError(401, "Unknown app secret.")
    elif group_secret:
        app_name = headers.get("x-app-name")
        if not app_name:
            raise ApiError(401, "X-App-Group-Secret needs X-App-Name naming the app.")
        profile = registry.by_group_secret(group_secret, app_name)
        if profile is None:
            raise ApiError(401, "Unknown group secret, or no app of that name in the group.")
    else:
        raise ApiError(401, f"No credentials: {_HOW}.")
    if profile.status is not AppStatus.ACTIVE:
        raise ApiError(403, f"App '{profile.slug}' is {profile.status.value}; it cannot ingest.")
    return profile
