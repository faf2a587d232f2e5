"""Checking a redaction rule before it is kept: a 422 naming the field at fault.

First the rule's shape for its kind (a drop or mask rule names a field, a
pattern rule a pattern, a detector rule a known detector, and none carries
what its kind ignores, so what is shown is what applies); then the whole
list is compiled with :func:`barito_common.redaction.compile_redactor`, the
receiver's own compiler, so a rule the market keeps is one every receiver
can apply (RE2: no back-references or look-arounds, bounded memory).
"""

from __future__ import annotations

import uuid

from barito_common.redaction import (
    DETECTORS,
    BadRedactionRule,
    RedactionKind,
    RedactionRuleSpec,
    compile_redactor,
)
from barito_market.alerts.refusals import invalid

__all__ = ["VALUE_FIELDS", "check_compiles", "checked_rule", "used_field"]

VALUE_FIELDS = ("field", "pattern", "detector")

_USES = {
    RedactionKind.DROP: "field",
    RedactionKind.MASK: "field",
    RedactionKind.PATTERN: "pattern",
    RedactionKind.DETECTOR: "detector",
}
_NEEDS = {
    "field": "the dotted path of the value (e.g. user.email)",
    "pattern": "an RE2 regular expression",
    "detector": "one of the built-in detectors: " + ", ".join(DETECTORS),
}


def used_field(kind: RedactionKind) -> str:
    """The one of ``VALUE_FIELDS`` a rule of ``kind`` uses."""
    return _USES[kind]


def checked_rule(
    rule_id: uuid.UUID, name: str, kind: RedactionKind, values: dict[str, str | None]
) -> RedactionRuleSpec:
    """The rule if its ``values`` (field, pattern, detector) fit its kind; 422 otherwise."""
    needed = used_field(kind)
    if values.get(needed) is None:
        raise invalid(needed, f"a {kind.value} rule needs {_NEEDS[needed]}")
    for other in VALUE_FIELDS:
        if other != needed and values.get(other) is not None:
            raise invalid(other, f"a {kind.value} rule takes no {other}, only a {needed}")
    detector = values.get("detector")
    if detector is not None and detector not in DETECTORS:
        raise invalid("detector", f"unknown detector '{detector}'; {_NEEDS['detector']}")
    return RedactionRuleSpec.model_validate(
        {"id": rule_id, "name": name, "kind": kind, needed: values[needed]}
    )


def check_compiles(rules: list[RedactionRuleSpec]) -> None:
    """422 naming the rule's pattern (or detector) when the receiver could not apply the list."""
    try:
        compile_redactor(rules)
    except BadRedactionRule as err:
        kinds = {rule.name: rule.kind for rule in rules}
        at_fault = used_field(kinds.get(err.rule_name, RedactionKind.PATTERN))
        raise invalid(at_fault, str(err)) from err
