"""Which app a syslog message writes to: the one its secret names, with the HTTP checks.

The same refusals as ``barito_receiver.auth`` answers with 401/403, for a
protocol that has no answer: an unknown or missing secret, an app that is
not active, and an app whose reserved slug would lose its logs. The refusal
names the app when there is one, never the secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from barito_common.app_auth import AppCredentials
from barito_common.app_registry import AppRegistry
from barito_common.reserved_names import reserved_app_slug
from barito_common.schemas import AppProfile, AppStatus

__all__ = ["Refusal", "app_for_secret"]


@dataclass(frozen=True)
class Refusal:
    """Why a message was not accepted; ``reason`` is the dropped-events metric's label."""

    reason: str
    explanation: str
    app: AppProfile | None = None


def app_for_secret(registry: AppRegistry, secret: str | None) -> AppProfile | Refusal:
    """The app ``secret`` names, or why a message carrying it is refused."""
    if not secret:
        return Refusal(
            "no_secret",
            'No app secret: put [barito@32473 secret="<app secret>"] in the structured data '
            "(RFC 5424) or at the start of MSG (RFC 3164).",
        )
    profile = AppCredentials(secret=secret).app_in(registry)
    if profile is None:
        return Refusal("unauthorized", "Unknown app secret.")
    if profile.status is not AppStatus.ACTIVE:
        return Refusal(
            "inactive",
            f"App '{profile.slug}' is {profile.status.value}; it cannot ingest.",
            profile,
        )
    reserved = reserved_app_slug(profile.slug)
    if reserved is not None and reserved.loses_logs:
        return Refusal(
            "reserved_name",
            f"App '{profile.slug}' cannot ingest: its slug is reserved. {reserved.explanation}.",
            profile,
        )
    return profile
