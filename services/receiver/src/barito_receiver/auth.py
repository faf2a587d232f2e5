"""Which app a request writes to, decided by its secret alone.

The secret names the app, so no request can choose another app's topic: a
path or body naming some other app is never consulted. Unknown secrets get
401, inactive apps 403, and a group secret's app name that two active apps
share 409 (architecture §3).

An app whose slug the installation reserved because logs written under it
are never indexed (``dlq``: its topic is the dead-letter topic) is refused
with 403 ``reserved_name``: a 200 would tell the agent its logs are safe.
"""

from __future__ import annotations

from starlette.datastructures import Headers

from barito_common.app_auth import HOW_TO_AUTHENTICATE, AppCredentials
from barito_common.app_registry import AppRegistry
from barito_common.errors import ApiError
from barito_common.reserved_names import reserved_app_slug
from barito_common.schemas import AppProfile, AppStatus

__all__ = ["authenticate"]


def authenticate(registry: AppRegistry, headers: Headers, *, retry_after_s: int) -> AppProfile:
    if not registry.loaded:
        raise ApiError(
            503,
            "The receiver is still loading the app registry; retry shortly.",
            headers={"Retry-After": str(retry_after_s)},
        )
    credentials = AppCredentials.from_headers(headers)
    profile = credentials.app_in(registry)
    if credentials.secret:
        if profile is None:
            raise ApiError(401, "Unknown app secret.")
    elif credentials.group_secret:
        if not credentials.app_name:
            raise ApiError(401, "X-App-Group-Secret needs X-App-Name naming the app.")
        if profile is None:
            raise ApiError(401, "Unknown group secret, or no app of that name in the group.")
    else:
        raise ApiError(401, f"No credentials: {HOW_TO_AUTHENTICATE}.")
    if profile.status is not AppStatus.ACTIVE:
        raise ApiError(403, f"App '{profile.slug}' is {profile.status.value}; it cannot ingest.")
    reserved = reserved_app_slug(profile.slug)
    if reserved is not None and reserved.loses_logs:
        raise ApiError(
            403,
            f"App '{profile.slug}' cannot ingest: its slug is reserved. {reserved.explanation}. "
            "Register the app again in the market under another name and send its logs "
            "with the new app's secret.",
            code="reserved_name",
        )
    return profile
