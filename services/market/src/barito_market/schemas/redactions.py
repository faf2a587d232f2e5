"""Bodies of the redaction API: an app's rules, what removes or masks values before Kafka.

The fields are those of :class:`barito_common.redaction.RedactionRuleSpec`,
the form the rules travel in on the app's profile.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from barito_common.redaction import MAX_PATTERN_LENGTH, FieldPath, RedactionKind, RuleName

__all__ = ["RedactionCreate", "RedactionPatch", "RedactionPublic", "RedactionsPublic"]

Pattern = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PATTERN_LENGTH)]
Detector = Annotated[str, StringConstraints(min_length=1, max_length=64)]

_NAME = "Lower-case letters, digits, '-' and '_' (at most 64); masked values name it."
_FIELD = "drop and mask: the dotted path of the value (user.email); other kinds take none."
_PATTERN = "pattern: an RE2 regular expression whose matches are masked in every string value."
_DETECTOR = "detector: a built-in detector's name (see `detectors` in the list's answer)."


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RedactionCreate(_Body):
    name: RuleName = Field(description=_NAME)
    kind: RedactionKind = Field(description="drop, mask, pattern or detector.")
    field: FieldPath | None = Field(None, description=_FIELD)
    pattern: Pattern | None = Field(None, description=_PATTERN)
    detector: Detector | None = Field(None, description=_DETECTOR)


class RedactionPatch(_Body):
    name: RuleName | None = Field(None, description=_NAME)
    kind: RedactionKind | None = Field(
        None, description="A new kind; the fields the new kind does not use are cleared."
    )
    field: FieldPath | None = Field(None, description=_FIELD)
    pattern: Pattern | None = Field(None, description=_PATTERN)
    detector: Detector | None = Field(None, description=_DETECTOR)
    position: int | None = Field(
        None, ge=0, description="Move the rule to this place in the order (0 applies first)."
    )


class RedactionPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: RedactionKind
    field: str | None
    pattern: str | None
    detector: str | None


class RedactionsPublic(BaseModel):
    rules: list[RedactionPublic] = Field(description="In the order the receiver applies them.")
    detectors: dict[str, str] = Field(description="Built-in detector name → what it finds.")
