"""Rows into the alerting API's bodies: never a secret, sealed or not."""

from __future__ import annotations

import uuid

from barito_common.alerts import AlertCondition, AlertMatch, RuleStatus
from barito_market.models import AlertChannel, AlertHistory, AlertRule, App, AppGroup
from barito_market.schemas.alerts import ChannelPublic, HistoryEntryPublic, RulePublic

__all__ = ["channel_public", "history_public", "rule_public"]


def channel_public(channel: AlertChannel, group: AppGroup) -> ChannelPublic:
    return ChannelPublic(
        id=channel.id,
        group=group.slug,
        name=channel.name,
        kind=channel.kind,
        config=channel.config,
        has_secret=channel.secret_sealed is not None,
        created_at=channel.created_at,
    )


def rule_public(rule: AlertRule, app: App, status: RuleStatus) -> RulePublic:
    return RulePublic(
        id=rule.id,
        app=app.slug,
        name=rule.name,
        match=AlertMatch.model_validate(rule.match),
        condition=AlertCondition.model_validate(rule.condition),
        severity=rule.severity,
        channel_ids=[uuid.UUID(channel_id) for channel_id in rule.channel_ids],
        renotify_s=rule.renotify_s,
        muted_until=rule.muted_until,
        enabled=rule.enabled,
        status=status,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


def history_public(entry: AlertHistory) -> HistoryEntryPublic:
    return HistoryEntryPublic(
        id=entry.id,
        rule_id=entry.rule_id,
        rule_name=entry.rule_name,
        transition=entry.transition,
        severity=entry.severity,
        at=entry.at,
        count=entry.count,
        window_s=entry.window_s,
        samples=entry.samples,
        muted=entry.muted,
        deliveries=entry.deliveries,
    )
