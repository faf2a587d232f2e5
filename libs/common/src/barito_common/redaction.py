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
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "DETECTORS",
    "MAX_PATTERN_LENGTH",
    "MAX_RULES_PER_APP",
    "RedactionKind",
    "RedactionRuleSpec",
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
