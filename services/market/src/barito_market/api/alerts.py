"""Alerting: an app group's notification channels, an app's rules and their history.

Channels: ``/api/v1/groups/{slug}/alert-channels``; rules and history:
``/api/v1/apps/{slug}/alerts``. Members read; owners and admins change;
callers outside the group get 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from barito_common.alerts import RuleStatus
from barito_market.accounts.access import readable_app, readable_group, require_role
from barito_market.alerts import channels as channel_service
from barito_market.alerts import rules as rule_service
from barito_market.alerts.channel_test import send_test
from barito_market.alerts.history import history_page, rule_statuses
from barito_market.alerts.specs import group_channels, rules_of
from barito_market.alerts.views import channel_public, history_public, rule_public
from barito_market.dependencies import CurrentUserDep, PublisherDep, SessionDep, SettingsDep
from barito_market.models import Role
from barito_market.schemas.alerts import (
    ChannelCreate,
    ChannelCreated,
    ChannelPatch,
    ChannelPublic,
    ChannelsPublic,
    ChannelTestResult,
    HistoryPage,
    RuleCreate,
    RulePatch,
    RulePublic,
    RulesPublic,
)

router = APIRouter(tags=["alerts"])

_SEEN: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in."},
    404: {"description": "No such group, app, channel or rule that you can see."},
}
_MANAGED: dict[int | str, dict[str, Any]] = {
    **_SEEN,
    403: {"description": "This needs the owner or admin role in the app group."},
    422: {"description": "An invalid field, named first in the message and in error.fields."},
    503: {"description": "Kafka did not take the app's new profile; nothing changed."},
}
_SEALING: dict[int | str, dict[str, Any]] = {
    409: {"description": "No installation key to seal the channel's secret with."}
}

_CHANNELS = "/groups/{slug}/alert-channels"
_CHANNEL = _CHANNELS + "/{channel_id}"
_RULES = "/apps/{slug}/alerts"


@router.get(_CHANNELS, response_model=ChannelsPublic, responses=_SEEN)
async def list_channels(slug: str, user: CurrentUserDep, session: SessionDep) -> Any:
    """The group's notification channels (never their secrets)."""
    group = await readable_group(session, user, slug)
    return ChannelsPublic(data=[channel_public(c, group) for c in group_channels(group)])


@router.post(
    _CHANNELS,
    response_model=ChannelCreated,
    status_code=status.HTTP_201_CREATED,
    responses={**_MANAGED, **_SEALING},
)
async def create_channel(
    slug: str, body: ChannelCreate, user: CurrentUserDep, session: SessionDep, settings: SettingsDep
) -> Any:
    """Add a channel; a webhook's signing secret is in the answer, this once."""
    group = await readable_group(session, user, slug)
    await require_role(session, user, group.id, Role.ADMIN)
    channel, signing_secret = await channel_service.create_channel(
        session, settings, user=user, group=group, body=body
    )
    return ChannelCreated(
        **channel_public(channel, group).model_dump(), signing_secret=signing_secret
    )


@router.patch(_CHANNEL, response_model=ChannelPublic, responses={**_MANAGED, **_SEALING})
async def change_channel(
    slug: str,
    channel_id: uuid.UUID,
    body: ChannelPatch,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> Any:
    """Change a channel's name, config or secret; the rules using it follow at once."""
    group = await readable_group(session, user, slug)
    await require_role(session, user, group.id, Role.ADMIN)
    channel = channel_service.find_channel(group, channel_id)
    await channel_service.update_channel(
        session, publisher, settings, user=user, group=group, channel=channel, body=body
    )
    return channel_public(channel, group)


@router.delete(_CHANNEL, status_code=status.HTTP_204_NO_CONTENT, responses=_MANAGED)
async def delete_channel(
    slug: str,
    channel_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> None:
    """Delete a channel; the rules that named it no longer do."""
    group = await readable_group(session, user, slug)
    await require_role(session, user, group.id, Role.ADMIN)
    channel = channel_service.find_channel(group, channel_id)
    await channel_service.delete_channel(
        session, publisher, settings, user=user, group=group, channel=channel
    )


@router.post(_CHANNEL + "/test", response_model=ChannelTestResult, responses=_MANAGED)
async def test_channel(
    slug: str,
    channel_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Any:
    """Send a test notification through the channel now; the answer says whether it arrived."""
    group = await readable_group(session, user, slug)
    await require_role(session, user, group.id, Role.ADMIN)
    channel = channel_service.find_channel(group, channel_id)
    result = await send_test(settings, group=group, channel=channel)
    return ChannelTestResult(
        delivered=result.delivered, attempts=result.attempts, error=result.error
    )


@router.get(_RULES, response_model=RulesPublic, responses=_SEEN)
async def list_rules(slug: str, user: CurrentUserDep, session: SessionDep) -> Any:
    """The app's alert rules, oldest first, each with its status."""
    app = await readable_app(session, user, slug)
    rules = rules_of(app)
    statuses = await rule_statuses(session, app.id, [rule.id for rule in rules])
    return RulesPublic(data=[rule_public(r, app, statuses.get(r.id, RuleStatus.OK)) for r in rules])


@router.post(
    _RULES, response_model=RulePublic, status_code=status.HTTP_201_CREATED, responses=_MANAGED
)
async def create_rule(
    slug: str,
    body: RuleCreate,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> Any:
    """Add a rule; the server applies it within seconds of the answer."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    rule = await rule_service.create_rule(
        session, publisher, settings, user=user, app=app, body=body
    )
    return rule_public(rule, app, RuleStatus.OK)


@router.get(_RULES + "/history", response_model=HistoryPage, responses=_SEEN)
async def history(
    slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    rule: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Any:
    """The app's alert transitions, newest first (of one rule, with ?rule=id)."""
    app = await readable_app(session, user, slug)
    rows, next_cursor = await history_page(
        session, app.id, rule_id=rule, limit=limit, cursor=cursor
    )
    return HistoryPage(data=[history_public(row) for row in rows], next_cursor=next_cursor)


@router.get(_RULES + "/{rule_id}", response_model=RulePublic, responses=_SEEN)
async def get_rule(slug: str, rule_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> Any:
    """One rule and its status."""
    app = await readable_app(session, user, slug)
    rule = rule_service.find_rule(app, rule_id)
    statuses = await rule_statuses(session, app.id, [rule.id])
    return rule_public(rule, app, statuses.get(rule.id, RuleStatus.OK))


@router.patch(_RULES + "/{rule_id}", response_model=RulePublic, responses=_MANAGED)
async def change_rule(
    slug: str,
    rule_id: uuid.UUID,
    body: RulePatch,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> Any:
    """Change a rule (null clears renotify_s or muted_until).

    Only a change of its match or condition starts a new revision, under which a firing rule
    stays firing until the new condition resolves it; a mute, name, severity, channel or
    re-notify change keeps its state. Disabling a firing rule resolves it: its channels are
    told once.
    """
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    rule = rule_service.find_rule(app, rule_id)
    await rule_service.update_rule(
        session, publisher, settings, user=user, app=app, rule=rule, body=body
    )
    statuses = await rule_statuses(session, app.id, [rule.id])
    return rule_public(rule, app, statuses.get(rule.id, RuleStatus.OK))


@router.delete(_RULES + "/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_MANAGED)
async def delete_rule(
    slug: str,
    rule_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> None:
    """Delete a rule; its history stays. A firing rule's channels are told it resolved."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    rule = rule_service.find_rule(app, rule_id)
    await rule_service.delete_rule(session, publisher, settings, user=user, app=app, rule=rule)
