"""Rows into the specs an app's profile carries: its rules, and the channels they name."""

from __future__ import annotations

import uuid
from typing import cast

from barito_common.alerts import (
    AlertChannelSpec,
    AlertCondition,
    AlertMatch,
    AlertRuleSpec,
)
from barito_market.models import AlertChannel, AlertRule, App, AppGroup
from barito_market.models.alerts import ALERT_CHANNELS, ALERT_RULES

__all__ = ["channel_spec", "group_channels", "profile_alerts", "rule_spec", "rules_of"]


def rules_of(app: App) -> list[AlertRule]:
    """The app's rules, oldest first (loaded with the app: ``models.alerts``)."""
    return cast(list[AlertRule], getattr(app, ALERT_RULES))


def group_channels(group: AppGroup) -> list[AlertChannel]:
    """The group's channels, oldest first (loaded with the group: ``models.alerts``)."""
    return cast(list[AlertChannel], getattr(group, ALERT_CHANNELS))


def rule_spec(rule: AlertRule) -> AlertRuleSpec:
    return AlertRuleSpec(
        id=rule.id,
        name=rule.name,
        match=AlertMatch.model_validate(rule.match),
        condition=AlertCondition.model_validate(rule.condition),
        severity=rule.severity,
        channel_ids=[uuid.UUID(channel_id) for channel_id in rule.channel_ids],
        renotify_s=rule.renotify_s,
        muted_until=rule.muted_until,
        enabled=rule.enabled,
        revision=rule.revision,
    )


def channel_spec(channel: AlertChannel) -> AlertChannelSpec:
    # The secret only as sealed: a plain one never leaves the request that set it.
    return AlertChannelSpec(
        id=channel.id,
        name=channel.name,
        kind=channel.kind,
        config=channel.config,
        secret_sealed=channel.secret_sealed,
    )


def profile_alerts(app: App, group: AppGroup) -> tuple[list[AlertRuleSpec], list[AlertChannelSpec]]:
    """Every rule of the app (disabled ones too) and the group's channels they name."""
    rules = rules_of(app)
    named = {channel_id for rule in rules for channel_id in rule.channel_ids}
    if not named:
        return [rule_spec(rule) for rule in rules], []
    channels = [c for c in group_channels(group) if str(c.id) in named]
    return [rule_spec(rule) for rule in rules], [channel_spec(c) for c in channels]
