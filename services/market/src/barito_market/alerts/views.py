"""Rows into the alerting API's bodies: never a secret, sealed or not."""

from __future__ import annotations

from barito_common.alerts import RuleStatus
from barito_market.alerts.specs import rule_spec
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
    # The rule as the server is given it, plus what only the API shows.
    spec = rule_spec(rule).model_dump(exclude={"revision"})
    return RulePublic(
        **spec,
        app=app.slug,
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
