"""An app group's notification channels: create, change, delete.

A webhook's signing secret is made here (256 random bits) and returned once;
a Slack webhook URL or a PagerDuty routing key is given by the caller. Either
is stored and published only sealed (:mod:`.sealing`); no answer of the API
carries it, sealed or not.

A change to a channel that rules use republishes every app of the group whose
rules name it; deleting such a channel takes it out of those rules first.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.alerts import AlertChannelKind
from barito_common.errors import ApiError
from barito_common.schemas import AppStatus
from barito_market import audit_log
from barito_market.alerts.channel_config import check_config, check_secret
from barito_market.alerts.sealing import seal
from barito_market.alerts.specs import group_channels, rules_of
from barito_market.models import AlertChannel, App, AppGroup, User
from barito_market.models.base import utc_now
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import publish_apps
from barito_market.schemas.alerts import ChannelCreate, ChannelPatch
from barito_market.settings import MarketSettings

__all__ = [
    "MAX_CHANNELS_PER_GROUP",
    "create_channel",
    "delete_channel",
    "find_channel",
    "update_channel",
]

MAX_CHANNELS_PER_GROUP = 50


def find_channel(group: AppGroup, channel_id: uuid.UUID) -> AlertChannel:
    for channel in group_channels(group):
        if channel.id == channel_id:
            return channel
    raise ApiError(404, f"No alert channel {channel_id} in the app group '{group.slug}'.")


async def create_channel(
    session: AsyncSession,
    settings: MarketSettings,
    *,
    user: User,
    group: AppGroup,
    body: ChannelCreate,
) -> tuple[AlertChannel, str | None]:
    """The new channel, and the webhook's signing secret (None for other kinds)."""
    if len(group_channels(group)) >= MAX_CHANNELS_PER_GROUP:
        raise ApiError(
            422,
            f"The app group already has {MAX_CHANNELS_PER_GROUP} alert channels, the most a "
            "group may have; delete one first.",
            code="too_many_channels",
        )
    config = check_config(body.kind, body.config)
    secret = check_secret(body.kind, body.secret)
    signing_secret = None
    if body.kind is AlertChannelKind.WEBHOOK:
        signing_secret = secrets.token_urlsafe(32)
        secret = signing_secret
    channel = AlertChannel(
        group=group,
        name=body.name,
        kind=body.kind,
        config=config,
        secret_sealed=None if secret is None else seal(settings, secret),
    )
    session.add(channel)
    await session.flush()
    audit_log.record(
        session,
        user,
        "alert_channel.create",
        target_kind="alert_channel",
        target_id=channel.id,
        group_id=group.id,
        name=channel.name,
        kind=channel.kind.value,
    )
    await session.commit()
    return channel, signing_secret


async def update_channel(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    group: AppGroup,
    channel: AlertChannel,
    body: ChannelPatch,
) -> None:
    """Change the name, config or secret; the apps whose rules use it are republished."""
    changed: list[str] = []
    if body.name is not None and body.name != channel.name:
        channel.name = body.name
        changed.append("name")
    if body.config is not None:
        channel.config = check_config(channel.kind, body.config)
        changed.append("config")
    if body.secret is not None:
        secret = check_secret(channel.kind, body.secret)
        if secret is not None:
            channel.secret_sealed = seal(settings, secret)
            changed.append("secret")
    if not changed:
        return
    audit_log.record(
        session,
        user,
        "alert_channel.update",
        target_kind="alert_channel",
        target_id=channel.id,
        group_id=group.id,
        name=channel.name,
        changed=changed,
    )
    await _republish_users(session, publisher, settings, group, channel.id, drop=False)
    await session.commit()


async def delete_channel(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    group: AppGroup,
    channel: AlertChannel,
) -> None:
    """Delete the channel, taking it out of every rule that names it."""
    rules = await _republish_users(session, publisher, settings, group, channel.id, drop=True)
    audit_log.record(
        session,
        user,
        "alert_channel.delete",
        target_kind="alert_channel",
        target_id=channel.id,
        group_id=group.id,
        name=channel.name,
        rules_changed=rules,
    )
    group_channels(group).remove(channel)
    await session.flush()
    await session.commit()


async def _republish_users(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    group: AppGroup,
    channel_id: uuid.UUID,
    *,
    drop: bool,
) -> int:
    """Republish the group's apps whose rules name the channel (first taking it out of
    them when ``drop``); returns how many rules name it.

    Before the commit, so that if Kafka refuses, the change is rolled back too.
    """
    key = str(channel_id)
    apps = (
        await session.scalars(
            select(App).where(App.group_id == group.id, App.status != AppStatus.DELETED)
        )
    ).all()
    using: list[App] = []
    rules = 0
    for app in apps:
        naming = [rule for rule in rules_of(app) if key in rule.channel_ids]
        if not naming:
            continue
        using.append(app)
        rules += len(naming)
        if drop:
            for rule in naming:
                # The revision stays: a firing rule stays firing (and
                # resolves) on its other channels.
                rule.channel_ids = [other for other in rule.channel_ids if other != key]
        app.updated_at = utc_now()
    await session.flush()
    if using:
        await publish_apps(session, publisher, settings, using, group)
    return rules
