"""An app's redaction rules as kept on its row, and as the API shows them."""

from __future__ import annotations

from barito_common.redaction import RedactionRuleSpec
from barito_market.models import App
from barito_market.schemas.redactions import RedactionPublic

__all__ = ["redaction_public", "redaction_specs"]


def redaction_specs(app: App) -> list[RedactionRuleSpec]:
    """The app's rules in the order they apply (each checked when it was kept)."""
    return [RedactionRuleSpec.model_validate(rule) for rule in app.redaction_rules]


def redaction_public(rule: RedactionRuleSpec) -> RedactionPublic:
    return RedactionPublic(
        id=rule.id,
        name=rule.name,
        kind=rule.kind,
        field=rule.field,
        pattern=rule.pattern,
        detector=rule.detector,
    )
