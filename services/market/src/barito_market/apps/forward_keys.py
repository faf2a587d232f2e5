"""Forward keys: the shared key of an app's fluentd forward handshake, kept sealed.

The handshake proves the key by hashing it with the receiver's nonce, so
the receiver needs the key itself, not a hash as for app secrets. The
market makes it (random, 256 bits), shows it once, and stores and
publishes it only sealed under the installation key
(:class:`barito_common.installation_key.InstallationKey`): in the app's
row and in its profile (``AppProfile.forward_key_sealed``), which the
receiver opens in memory. No API ever shows the sealed value.

A new key replaces the previous one at once, with no grace period: the
profile carries one sealed key, and the handshake happens when an agent
connects, so new connections with the old key are refused from the
moment the new profile is published. Deleting the key refuses the handshake
for the app altogether.

A key sealed under another installation key does not open: after the
installation key is changed, every app's forward key must be made anew.

Example::

    key = await make_forward_key(session, publisher, settings, user=user, app=app)
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError
from barito_common.installation_key import MIN_INSTALLATION_KEY_CHARS, InstallationKey
from barito_market import audit_log
from barito_market.models import App, User
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import publish_app
from barito_market.settings import MarketSettings

__all__ = ["installation_key", "make_forward_key", "new_forward_key", "remove_forward_key"]

NO_INSTALLATION_KEY = "no_installation_key"


def installation_key(settings: MarketSettings) -> InstallationKey:
    """The key that seals forward keys; 409 naming how to set one when there is none."""
    if settings.installation_key is None:
        raise ApiError(
            409,
            "This installation has no installation key, so it cannot keep forward keys "
            "sealed. Give the market and the receiver the same secret of at least "
            f"{MIN_INSTALLATION_KEY_CHARS} characters as BARITO_INSTALLATION_KEY (or a file "
            "holding it as BARITO_INSTALLATION_KEY_FILE; e.g. openssl rand -base64 48), "
            "restart them, and try again.",
            code=NO_INSTALLATION_KEY,
        )
    return InstallationKey(settings.installation_key)


def new_forward_key() -> str:
    """256 random bits, URL-safe: fits unquoted in fluentd and Fluent Bit configurations."""
    return secrets.token_urlsafe(32)


async def make_forward_key(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    app: App,
) -> str:
    """A new forward key (returned once, stored sealed); the previous one stops at once."""
    sealing = installation_key(settings)
    key = new_forward_key()
    replaced = app.forward_key_sealed is not None
    app.forward_key_sealed = sealing.seal(key)
    await _audit_and_publish(
        session, publisher, settings, user, app, "app.forward_key.make", replaced=replaced
    )
    return key


async def remove_forward_key(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    app: App,
) -> None:
    """Drop the app's forward key: its forward handshake is refused from now on.

    Removing a key the app does not have changes nothing (and audits nothing).
    """
    if app.forward_key_sealed is None:
        return
    app.forward_key_sealed = None
    await _audit_and_publish(session, publisher, settings, user, app, "app.forward_key.remove")


async def _audit_and_publish(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    user: User,
    app: App,
    action: str,
    **details: object,
) -> None:
    # Published before the commit: if Kafka does not take the new profile the
    # route answers 503 and the transaction, key included, is rolled back.
    app.updated_at = datetime.now(UTC)
    audit_log.record(
        session, user, action, target_kind="app", target_id=app.id, group_id=app.group_id, **details
    )
    await session.flush()
    await publish_app(session, publisher, settings, app, app.group)
    await session.commit()
