"""Redaction rules as they travel: what an app's logs must never hold.

Written once here because two services share them: the **market** keeps each
app's rules (owners and admins edit them), checks them and publishes them on
the app's profile (``AppProfile.redaction_rules``); the **receiver** applies
them to every event before its chunk is written to Kafka, so neither the
live tail, nor search, nor a dead letter ever holds the original, and a
change reaches the receiver within seconds even while the market is down.

A rule is one of:

* ``drop`` — remove the value at ``field`` (a dotted path into nested objects);
* ``mask`` — replace the value at ``field`` with the mask;
* ``pattern`` — mask every match of ``pattern`` (RE2, the same time and
  memory guard as the tail's filters) in any string value;
* ``detector`` — mask what a built-in detector finds in any string value
  (:data:`DETECTORS`).

A masked value says that it was masked and by which rule: it becomes
``[redacted:<rule name>]`` (:func:`mask_for`).

:func:`compile_redactor` checks a list of rules (the market's 422) and
builds the :class:`Redactor` the receiver applies::

    ValueError
    └── BadRedactionRule   a rule that cannot be applied; names the rule

How a record is redacted (:meth:`Redactor.apply`), in this order:

1. ``drop`` rules remove their fields;
2. ``pattern`` and ``detector`` rules, in their list order, mask what they
   match in every string value at any depth (in objects and lists; keys stay,
   bytes stay: a msgpack ``bin`` value is not text);
3. ``mask`` rules replace their fields' values.

Masking fields last means a masked field always reads exactly
``[redacted:<its rule>]``, never a pattern's mask of the mask's own text; for
any other record the result is that of applying the rules in list order.
A missing path does nothing; a dotted path walks nested objects (a key
holding the dots itself, as ``"user.email"``, wins, as in the tail's filters).

Also masked: a card number sent as a JSON number (credit_card) and a
40-character secret under the key ``aws_secret_access_key`` (aws_key).
Scanning a batch of records (:meth:`Redactor.apply_all`) searches every
string of the batch in one RE2 pass, or, given the JSON body they came from,
the body alone when it has no escape (:mod:`barito_common.redaction_scan`).
The receiver skips an app without rules before any of this.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

import re2
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from barito_common.event_filters import BadFilter, compile_regex, regex_options
from barito_common.redaction_detectors import DETECTOR_PATTERNS, replacer
from barito_common.redaction_scan import Scanner, StringScan

__all__ = [
    "DETECTORS",
    "MAX_PATTERN_LENGTH",
    "MAX_RULES_PER_APP",
    "BadRedactionRule",
    "RedactionKind",
    "RedactionRuleSpec",
    "Redactor",
    "compile_redactor",
    "mask_for",
]

MAX_RULES_PER_APP = 50
MAX_PATTERN_LENGTH = 1000

DETECTORS: dict[str, str] = {
    "credit_card": "payment card numbers (13-19 digits, spaces or dashes allowed) "
    "that pass the Luhn check",
    "email": "email addresses",
    "bearer_token": "the token after 'Bearer ' (e.g. an Authorization header)",
    "jwt": "JSON Web Tokens (three base64url parts, the first two JSON)",
    "aws_key": "AWS access key ids (AKIA…/ASIA…) and secret keys given as aws_secret_access_key=…",
}
"""Built-in detector name → what it finds (shown by the API and the web UI)."""

RuleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
FieldPath = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class RedactionKind(StrEnum):
    DROP = "drop"
    MASK = "mask"
    PATTERN = "pattern"
    DETECTOR = "detector"


class RedactionRuleSpec(BaseModel):
    """One rule as the profile carries it; rules apply in their list order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: UUID = Field(description="Stable id of the rule.")
    name: RuleName = Field(description="Short name; masked values name it.")
    kind: RedactionKind = Field(description="drop, mask, pattern or detector.")
    field: FieldPath | None = Field(
        default=None, description="drop/mask: dotted path of the value (e.g. user.email)."
    )
    pattern: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_PATTERN_LENGTH)] | None
    ) = Field(default=None, description="pattern: an RE2 regular expression.")
    detector: Literal["credit_card", "email", "bearer_token", "jwt", "aws_key"] | None = Field(
        default=None, description="detector: the built-in detector's name."
    )


def mask_for(rule_name: str) -> str:
    """What a value (or a match) masked by ``rule_name`` becomes.

    >>> mask_for("card")
    '[redacted:card]'
    """
    return f"[redacted:{rule_name}]"


class BadRedactionRule(ValueError):
    """A rule that cannot be applied; the message names it and says what is wrong."""

    def __init__(self, rule_name: str, problem: str) -> None:
        super().__init__(f"redaction rule {rule_name!r}: {problem}")
        self.rule_name = rule_name


Path = tuple[str, ...]
_Field = tuple[str, Path, str]  # the path joined, its parents' keys, its last key


class Redactor:
    """The compiled rules of one app; :meth:`apply` redacts a record in place."""

    __slots__ = (
        "_drops",
        "_field_keys",
        "_masks",
        "_scan",
    )

    def __init__(self, rules: Sequence[RedactionRuleSpec], scanners: list[Scanner]) -> None:
        self._drops = [_field(r) for r in rules if r.kind is RedactionKind.DROP]
        self._masks = [(_field(r), mask_for(r.name)) for r in rules if r.kind is RedactionKind.MASK]
        # The top-level keys a field rule can reach: a record with none of them
        # is left alone by every field rule at the cost of one set check.
        fields = [*self._drops, *(field for field, _ in self._masks)]
        self._field_keys = frozenset(
            key for joined, parents, last in fields for key in (joined, (*parents, last)[0])
        )
        detectors = {r.detector: r.name for r in rules if r.kind is RedactionKind.DETECTOR}
        self._scan = (
            StringScan(
                scanners,
                [r.pattern for r in rules if r.pattern is not None],
                card_mask=mask_for(detectors["credit_card"])
                if "credit_card" in detectors
                else None,
                aws_secret_mask=mask_for(detectors["aws_key"]) if "aws_key" in detectors else None,
            )
            if scanners
            else None
        )

    def apply(self, record: dict[str, Any]) -> None:
        """Redact ``record`` in place (see the module docstring for the order)."""
        self.apply_all((record,))

    def apply_all(self, records: Sequence[dict[str, Any]], *, source: bytes | None = None) -> None:
        """Redact each of ``records`` in place; their strings are searched together.

        ``source``: the JSON text the records were decoded from, exactly (a
        request's decompressed JSON or NDJSON body), when there is one: a body
        in which no rule can match is then told by one search of it, without
        walking the records for their strings.
        """
        keys = self._field_keys
        if keys and self._drops:
            for record in records:
                if not keys.isdisjoint(record):
                    for field in self._drops:
                        _drop(record, field)
        if self._scan is not None and not (source is not None and self._scan.clear_in(source)):
            self._scan.records(records)
        if keys and self._masks:
            for record in records:
                if not keys.isdisjoint(record):
                    for field, mask in self._masks:
                        _replace(record, field, mask)


def compile_redactor(rules: Sequence[RedactionRuleSpec]) -> Redactor:
    """Check every rule and build their :class:`Redactor`; :class:`BadRedactionRule`
    names the first that cannot be applied (the market answers it as a 422)."""
    if len(rules) > MAX_RULES_PER_APP:
        raise BadRedactionRule(
            rules[MAX_RULES_PER_APP].name,
            f"an app has at most {MAX_RULES_PER_APP} redaction rules",
        )
    seen: set[str] = set()
    scanners: list[Scanner] = []
    for rule in rules:
        if rule.name in seen:
            raise BadRedactionRule(rule.name, "another rule of the app has the same name")
        seen.add(rule.name)
        scanner = _check(rule)
        if scanner is not None:
            scanners.append(scanner)
    return Redactor(rules, scanners)


def _check(rule: RedactionRuleSpec) -> Scanner | None:
    kind = rule.kind
    extra = [
        name
        for name, value, wanted in (
            ("field", rule.field, (RedactionKind.DROP, RedactionKind.MASK)),
            ("pattern", rule.pattern, (RedactionKind.PATTERN,)),
            ("detector", rule.detector, (RedactionKind.DETECTOR,)),
        )
        if value is not None and kind not in wanted
    ]
    if extra:
        raise BadRedactionRule(rule.name, f"a {kind} rule takes no {' or '.join(extra)}")
    mask = mask_for(rule.name).encode()
    if kind in (RedactionKind.DROP, RedactionKind.MASK):
        if rule.field is None or not all(_path(rule)):
            raise BadRedactionRule(
                rule.name, f"a {kind} rule needs a field: a dotted path such as user.email"
            )
        return None
    if kind is RedactionKind.PATTERN:
        if rule.pattern is None:
            raise BadRedactionRule(rule.name, "a pattern rule needs a pattern (RE2 syntax)")
        try:
            regex = compile_regex(rule.pattern, MAX_PATTERN_LENGTH)
        except BadFilter as err:
            raise BadRedactionRule(rule.name, str(err)) from err
        if regex.search(b"") is not None:
            raise BadRedactionRule(
                rule.name, f"pattern {rule.pattern!r} matches the empty string, so it masks nothing"
            )
        return regex, replacer(None, mask)
    if rule.detector not in DETECTOR_PATTERNS:
        known = ", ".join(sorted(DETECTOR_PATTERNS))
        raise BadRedactionRule(
            rule.name, f"unknown detector {rule.detector!r}; the detectors are {known}"
        )
    regex = re2.compile(DETECTOR_PATTERNS[rule.detector], regex_options())
    return regex, replacer(rule.detector, mask)


def _path(rule: RedactionRuleSpec) -> Path:
    return tuple((rule.field or "").split("."))


def _field(rule: RedactionRuleSpec) -> _Field:
    path = _path(rule)
    return ".".join(path), path[:-1], path[-1]


def _parent(record: dict[str, Any], field: _Field) -> tuple[dict[str, Any], str] | None:
    # Runs for every record and rule, most often finding nothing: the cheap
    # checks come first and nothing is built per call.
    joined, parents, last = field
    if joined in record:
        return record, joined
    if not parents:
        return None
    node: Any = record
    for key in parents:
        node = node.get(key)
        if type(node) is not dict:
            return None
    return (node, last) if last in node else None


def _drop(record: dict[str, Any], field: _Field) -> None:
    found = _parent(record, field)
    if found is not None:
        del found[0][found[1]]


def _replace(record: dict[str, Any], field: _Field, mask: str) -> None:
    found = _parent(record, field)
    if found is not None:
        found[0][found[1]] = mask
