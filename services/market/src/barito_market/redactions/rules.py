"""An app's redaction rules: create, change or move, delete — each checked, audited, published.

Refusals: 422 when a rule does not fit its kind or does not compile
(:mod:`.checks`), or the app has ``MAX_RULES_PER_APP`` already; 409 when its
name is taken in the app; 404 for a rule id that is not one of the app's.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError
from barito_common.redaction import MAX_RULES_PER_APP, RedactionRuleSpec
from barito_market import audit_log
from barito_market.alerts.refusals import invalid
from barito_market.models import App, User
from barito_market.models.base import utc_now
from barito_market.redactions.checks import (
    VALUE_FIELDS,
    check_compiles,
    checked_rule,
    used_field,
)
from barito_market.redactions.specs import redaction_specs
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import publish_app
from barito_market.schemas.redactions import RedactionCreate, RedactionPatch
from barito_market.settings import MarketSettings

__all__ = ["create_rule", "delete_rule", "update_rule"]


async def _locked_rules(session: AsyncSession, app: App) -> list[RedactionRuleSpec]:
    # The list is read, changed and written whole: the app's row stays locked
    # until the commit, so two changes at once cannot drop each other's rule.
    await session.refresh(app, attribute_names=["redaction_rules"], with_for_update=True)
    return redaction_specs(app)


def _check_name_free(rules: list[RedactionRuleSpec], name: str, rule_id: uuid.UUID | None) -> None:
    if any(other.name == name and other.id != rule_id for other in rules):
        message = f"the app already has a redaction rule named '{name}'"
        raise ApiError(
            409,
            f"name: {message}",
            code="conflict",
            details={"fields": [{"field": "name", "message": message}]},
        )


def _index_of(rules: list[RedactionRuleSpec], rule_id: uuid.UUID, app: App) -> int:
    for index, rule in enumerate(rules):
        if rule.id == rule_id:
            return index
    raise ApiError(404, f"No redaction rule {rule_id} in the app '{app.slug}'.")


async def create_rule(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    app: App,
    body: RedactionCreate,
) -> RedactionRuleSpec:
    """Check the rule and add it last: it applies after every rule the app has."""
    rules = await _locked_rules(session, app)
    if len(rules) >= MAX_RULES_PER_APP:
        raise ApiError(
            422,
            f"The app already has {MAX_RULES_PER_APP} redaction rules, the most an app may "
            "have; delete or change one instead.",
            code="too_many_rules",
        )
    _check_name_free(rules, body.name, None)
    values = {name: getattr(body, name) for name in VALUE_FIELDS}
    rule = checked_rule(uuid.uuid4(), body.name, body.kind, values)
    rules.append(rule)
    check_compiles(rules)
    _audit(session, user, app, rule, "redaction.create", position=len(rules) - 1)
    await _keep(session, publisher, settings, app, rules)
    return rule


async def update_rule(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    app: App,
    rule_id: uuid.UUID,
    body: RedactionPatch,
) -> RedactionRuleSpec:
    """Apply the fields given; a new kind clears the values it does not use."""
    rules = await _locked_rules(session, app)
    index = _index_of(rules, rule_id, app)
    current = rules.pop(index)
    given = body.model_fields_set
    name = body.name if body.name is not None else current.name
    kind = body.kind if body.kind is not None else current.kind
    _check_name_free(rules, name, rule_id)
    values = {
        field: getattr(body, field)
        if field in given
        else (getattr(current, field) if used_field(kind) == field else None)
        for field in VALUE_FIELDS
    }
    rule = checked_rule(rule_id, name, kind, values)
    position = index if body.position is None else body.position
    if position > len(rules):
        raise invalid("position", f"the app has {len(rules) + 1} rules: give 0 to {len(rules)}")
    rules.insert(position, rule)
    check_compiles(rules)
    _audit(session, user, app, rule, "redaction.update", position=position, changed=sorted(given))
    await _keep(session, publisher, settings, app, rules)
    return rule


async def delete_rule(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    app: App,
    rule_id: uuid.UUID,
) -> None:
    rules = await _locked_rules(session, app)
    rule = rules.pop(_index_of(rules, rule_id, app))
    _audit(session, user, app, rule, "redaction.delete")
    await _keep(session, publisher, settings, app, rules)


def _audit(
    session: AsyncSession,
    user: User,
    app: App,
    rule: RedactionRuleSpec,
    action: str,
    **details: object,
) -> None:
    # The pattern stays out of the log: it may spell out the very value it hides.
    audit_log.record(
        session,
        user,
        action,
        target_kind="redaction_rule",
        target_id=rule.id,
        group_id=app.group_id,
        app=app.slug,
        name=rule.name,
        kind=rule.kind.value,
        **details,
    )


async def _keep(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    app: App,
    rules: list[RedactionRuleSpec],
) -> None:
    """Keep the app's new list and publish it, then commit (the audit entry too)."""
    # A new list, not the old one changed in place: a JSON column only notices
    # a change by assignment.
    app.redaction_rules = [spec.model_dump(mode="json") for spec in rules]
    app.updated_at = utc_now()
    await session.flush()
    # Published before the commit: if Kafka does not take the new profile the
    # route answers 503 and the transaction, rule included, is rolled back.
    await publish_app(session, publisher, settings, app, app.group)
    await session.commit()
