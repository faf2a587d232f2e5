"""Who may tail an app: its secret (or group secret), or a member of its group.

Order matters: a credential that is the app's own secret is accepted from the
registry alone, so tails by secret keep working while the market is down.
Anything else that could be a user's credential (a bearer value that is no
app secret, or a session cookie) is put to the market. A secret of another
app, an unknown app or a market "not yours" all answer 404, so names of
other tenants do not leak (architecture §5). A group secret with an
X-App-Name that two active apps of the group share answers 409 naming them,
as at the receiver (``barito_common.app_auth``).
"""

from __future__ import annotations

from starlette.datastructures import Headers

from barito_common.app_auth import HOW_TO_AUTHENTICATE, AppCredentials
from barito_common.app_registry import AppRegistry
from barito_common.errors import ApiError
from barito_common.schemas import AppProfile, AppStatus
from barito_server.market_access import MarketAccess, MarketUnavailable, Verdict

__all__ = ["authorize"]


def _not_found(app: str) -> ApiError:
    return ApiError(404, f"No app named '{app}' that these credentials may read.")


async def authorize(
    registry: AppRegistry, market: MarketAccess, headers: Headers, *, app: str
) -> AppProfile:
    if not registry.loaded:
        raise ApiError(
            503,
            "The server is still loading the app registry; retry shortly.",
            headers={"Retry-After": "1"},
        )
    profile = registry.by_slug(app)
    if profile is not None and profile.status is AppStatus.DELETED:
        profile = None
    credentials = AppCredentials.from_headers(headers)
    # The path names the app, so X-App-Name is optional here.
    named = credentials.app_in(registry, default_name=app)
    if named is not None:
        if profile is None or named.app_id != profile.app_id:
            raise _not_found(app)
        return profile
    cookie = headers.get("cookie")
    if credentials.from_bearer or cookie:
        try:
            verdict = await market.verdict(
                app, authorization=headers.get("authorization"), cookie=cookie
            )
        except MarketUnavailable as err:
            raise ApiError(
                503,
                "Cannot check this token with the market right now; retry shortly, or use "
                "the app secret.",
                headers={"Retry-After": "5"},
            ) from err
        if verdict is Verdict.UNAUTHENTICATED:
            raise ApiError(401, "The token or session is not valid; log in again.")
        if verdict is Verdict.NOT_FOUND or profile is None:
            raise _not_found(app)
        return profile
    if credentials.secret:
        raise ApiError(401, "Unknown app secret.")
    if credentials.group_secret:
        raise ApiError(401, "Unknown group secret, or no app of that name in the group.")
    raise ApiError(
        401, f"No credentials: {HOW_TO_AUTHENTICATE}, or a session / API token of the market."
    )
