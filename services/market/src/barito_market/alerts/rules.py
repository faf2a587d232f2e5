"""An app's alert rules: create, change, delete, each checked before it is kept.

A rule is refused (422, naming what is wrong) when its match does not parse
as the live tail's filters (``barito_common.event_filters``, RE2: no
back-references or look-arounds) or would cost too much per event
(``barito_common.alerts.match_filter``), its name is taken in the app, a channel it
names is not one of the app's group, or the app has ``MAX_RULES_PER_APP``
already. Every change is audited and republishes the app's profile before
the commit. Only a change to what the rule decides (its match or condition)
bumps its revision: the server starts a new revision afresh at ok, so a bump
for a mute, a rename or a channel change would silently drop a firing alert
that then never resolves (its PagerDuty incident left open, its status stuck
at firing); those take effect on the kept state instead.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.alerts import AlertMatch, match_filter
from barito_common.errors import ApiError
from barito_common.event_filters import BadFilter
from barito_market import audit_log
from barito_market.alerts.refusals import invalid
from barito_market.alerts.specs import group_channels, rules_of
from barito_market.models import AlertRule, App, User
from barito_market.models.alerts import ALERT_RULES
from barito_market.models.base import utc_now
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import publish_app
from barito_market.schemas.alerts import RuleCreate, RulePatch
from barito_market.settings import MarketSettings

__all__ = ["MAX_RULES_PER_APP", "create_rule", "delete_rule", "find_rule", "update_rule"]

MAX_RULES_PER_APP = 50


async def _lock(session: AsyncSession, app: App, rule: AlertRule | None = None) -> None:
    # The app's row stays locked until the commit, its rules read afresh under
    # it: two changes at once can neither both pass the name or count check
    # (a 500 from the unique constraint, a 51st rule) nor publish profiles
    # that each lack the other's rule (the server would not evaluate it).
    await session.refresh(app, attribute_names=[ALERT_RULES], with_for_update=True)
    if rule is not None:
        if rule not in rules_of(app):  # deleted meanwhile
            raise ApiError(404, f"No alert rule {rule.id} in the app '{app.slug}'.")
        await session.refresh(rule)


def find_rule(app: App, rule_id: uuid.UUID) -> AlertRule:
    for rule in rules_of(app):
        if rule.id == rule_id:
            return rule
    raise ApiError(404, f"No alert rule {rule_id} in the app '{app.slug}'.")


def _check_match(match: AlertMatch) -> dict[str, object]:
    try:
        match_filter(match)
    except BadFilter as err:
        raise invalid("match", str(err)) from err
    return match.model_dump(mode="json")


def _check_name(app: App, name: str, rule: AlertRule | None) -> str:
    if any(other.name == name for other in rules_of(app) if other is not rule):
        raise invalid("name", f"the app already has a rule named '{name}'")
    return name


def _check_channels(app: App, channel_ids: list[uuid.UUID]) -> list[str]:
    known = {channel.id for channel in group_channels(app.group)}
    for channel_id in channel_ids:
        if channel_id not in known:
            raise invalid(
                "channel_ids",
                f"{channel_id} is not a channel of the app group '{app.group.slug}'",
            )
    return [str(channel_id) for channel_id in dict.fromkeys(channel_ids)]


def _check_muted_until(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise invalid("muted_until", "give a time zone, e.g. 2026-12-05T18:00:00Z")
    return moment


async def create_rule(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    app: App,
    body: RuleCreate,
) -> AlertRule:
    await _lock(session, app)
    if len(rules_of(app)) >= MAX_RULES_PER_APP:
        raise ApiError(
            422,
            f"The app already has {MAX_RULES_PER_APP} alert rules, the most an app may have; "
            "delete or change one instead.",
            code="too_many_rules",
        )
    rule = AlertRule(
        app=app,
        name=_check_name(app, body.name, None),
        match=_check_match(body.match),
        condition=body.condition.model_dump(mode="json"),
        severity=body.severity,
        channel_ids=_check_channels(app, body.channel_ids),
        renotify_s=body.renotify_s,
        muted_until=_check_muted_until(body.muted_until),
        enabled=body.enabled,
        revision=1,
    )
    session.add(rule)
    await session.flush()
    await _audit_and_publish(session, publisher, settings, user, app, rule, "alert.create")
    return rule


async def update_rule(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    app: App,
    rule: AlertRule,
    body: RulePatch,
) -> None:
    """Apply the fields given; an explicit null clears renotify_s or muted_until."""
    await _lock(session, app, rule)
    given = body.model_fields_set
    decides = (rule.match, rule.condition)
    if body.name is not None:
        rule.name = _check_name(app, body.name, rule)
    if body.match is not None:
        rule.match = _check_match(body.match)
    if body.condition is not None:
        rule.condition = body.condition.model_dump(mode="json")
    if body.severity is not None:
        rule.severity = body.severity
    if body.channel_ids is not None:
        rule.channel_ids = _check_channels(app, body.channel_ids)
    if "renotify_s" in given:
        rule.renotify_s = body.renotify_s
    if "muted_until" in given:
        rule.muted_until = _check_muted_until(body.muted_until)
    if body.enabled is not None:
        rule.enabled = body.enabled
    if (rule.match, rule.condition) != decides:
        rule.revision += 1
    await _audit_and_publish(
        session, publisher, settings, user, app, rule, "alert.update", changed=sorted(given)
    )


async def delete_rule(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    app: App,
    rule: AlertRule,
) -> None:
    await _lock(session, app, rule)
    rules_of(app).remove(rule)  # delete-orphan: the row goes with the flush
    await _audit_and_publish(session, publisher, settings, user, app, rule, "alert.delete")


async def _audit_and_publish(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    user: User,
    app: App,
    rule: AlertRule,
    action: str,
    **details: object,
) -> None:
    # Published before the commit: if Kafka does not take the new profile the
    # route answers 503 and the transaction, rule included, is rolled back.
    app.updated_at = utc_now()
    audit_log.record(
        session,
        user,
        action,
        target_kind="alert_rule",
        target_id=rule.id,
        group_id=app.group_id,
        app=app.slug,
        name=rule.name,
        revision=rule.revision,
        **details,
    )
    await session.flush()
    await publish_app(session, publisher, settings, app, app.group)
    await session.commit()
