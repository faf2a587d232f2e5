"""Per-document outcomes of one bulk request, and the pure rules that decide them.

The adapter does the I/O; this module only reads the engine's answer. Both
engines answer a bulk request with one item per action, in request order::

    {"create": {"_index": "i", "_id": "1", "status": 400,
                "error": {"type": "document_parsing_exception", "reason": "...",
                          "caused_by": {...}}}}

and :func:`classify_bulk_item` turns each into a :class:`BulkItemResult`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "BulkItemResult",
    "BulkOutcome",
    "BulkResult",
    "classify_bulk_item",
    "describe_engine_error",
]


class BulkOutcome(StrEnum):
    """What the caller should do with one document of a bulk request."""

    OK = "ok"
    """Indexed by this request."""
    CONFLICT = "conflict"
    """A document with this id already exists (409 on ``op_type=create``): a replay, done."""
    RETRYABLE = "retryable"
    """The engine could not take it now (429, 5xx, cluster block, no answer): send again."""
    REJECTED = "rejected"
    """The engine refused the content (mapping or parse error): resending cannot help."""


@dataclass(frozen=True, slots=True)
class BulkItemResult:
    """The engine's answer for one document."""

    index: str
    id: str
    outcome: BulkOutcome
    status: int | None
    """HTTP status of the item; ``None`` when the request got no answer at all."""
    error_type: str | None = None
    """The engine's error type (``mapper_parsing_exception``), a low-cardinality label."""
    reason: str | None = None
    """The engine's own explanation, with its ``caused_by`` chain."""

    @property
    def done(self) -> bool:
        """Whether the document is in the index now (indexed now or by an earlier replay)."""
        return self.outcome in (BulkOutcome.OK, BulkOutcome.CONFLICT)


@dataclass(frozen=True, slots=True)
class BulkResult:
    """Outcomes of a bulk request, one per document, in the order the documents were given.

    >>> result = BulkResult(items=())
    >>> result.all_done, len(result)
    (True, 0)
    """

    items: tuple[BulkItemResult, ...]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[BulkItemResult]:
        return iter(self.items)

    def _with(self, outcome: BulkOutcome) -> tuple[BulkItemResult, ...]:
        return tuple(item for item in self.items if item.outcome is outcome)

    @property
    def ok(self) -> tuple[BulkItemResult, ...]:
        return self._with(BulkOutcome.OK)

    @property
    def conflicts(self) -> tuple[BulkItemResult, ...]:
        return self._with(BulkOutcome.CONFLICT)

    @property
    def retryable(self) -> tuple[BulkItemResult, ...]:
        return self._with(BulkOutcome.RETRYABLE)

    @property
    def rejected(self) -> tuple[BulkItemResult, ...]:
        return self._with(BulkOutcome.REJECTED)

    @property
    def all_done(self) -> bool:
        """Whether every document is in the index (nothing to retry or dead-letter)."""
        return all(item.done for item in self.items)


def describe_engine_error(error: object) -> tuple[str | None, str]:
    """Return ``(type, "type: reason (caused by: type: reason)")`` of an engine error object.

    Accepts the ``error`` member of a bulk item or of an error response body;
    anything else (a plain string, ``None``) is described by its ``str``.
    """
    if not isinstance(error, Mapping):
        return None, str(error)
    error_type = error.get("type")
    parts: list[str] = []
    cause: object = error
    # The root of the chain says what failed ("failed to parse field [n]"), the
    # causes say why ("For input string: \"abc\""): an operator needs both.
    while isinstance(cause, Mapping) and len(parts) < 5:
        kind, why = cause.get("type", "error"), cause.get("reason")
        parts.append(f"{kind}: {why}" if why else str(kind))
        cause = cause.get("caused_by")
    description = parts[0] + "".join(f" (caused by {part})" for part in parts[1:])
    return (str(error_type) if error_type is not None else None), description


def classify_bulk_item(item: Mapping[str, Any]) -> BulkItemResult:
    """Decide the outcome of one ``items[n]`` entry of a bulk response."""
    ((_, body),) = item.items()  # {"create": {...}} / {"index": {...}}
    status = int(body.get("status", 500))
    error = body.get("error")
    error_type, reason = describe_engine_error(error) if error is not None else (None, None)
    if 200 <= status < 300:
        outcome = BulkOutcome.OK
    elif status == 409:
        outcome = BulkOutcome.CONFLICT
    elif status == 429 or status >= 500 or error_type == "cluster_block_exception":
        # A cluster block (flood-stage disk watermark, an operator's write block)
        # is a state of the index, not a fault of the document: dead-lettering
        # would lose good data, so the caller waits and retries instead.
        outcome = BulkOutcome.RETRYABLE
    else:
        outcome = BulkOutcome.REJECTED
    return BulkItemResult(
        index=str(body.get("_index", "")),
        id=str(body.get("_id", "")),
        outcome=outcome,
        status=status,
        error_type=error_type,
        reason=reason,
    )
