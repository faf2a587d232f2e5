"""How a batch's documents become bulk requests, and what to do after each request.

    >>> from barito_common.search import BulkItemResult, BulkOutcome, BulkResult
    >>> doc = Document("barito-shop-2025.01.31", "0-17-0", {"n": "x"}, {"n": "x"})
    >>> rejected = BulkItemResult(
    ...     "barito-shop-2025.01.31", "0-17-0", BulkOutcome.REJECTED, 400,
    ...     "document_parsing_exception", "failed to parse field [n] of type [long]",
    ... )
    >>> [(doc.id, reason) for doc, reason in settle([doc], BulkResult(items=(rejected,))).dead]
    [('0-17-0', 'failed to parse field [n] of type [long]')]

The rules, per document: ``ok`` and ``conflict`` (the id exists: an earlier
attempt indexed it) are done; ``retryable`` (429, 5xx, cluster block, no
answer) is sent again after :func:`backoff_delay`, for as long as it takes,
since the data is good and the engine will take it once it recovers;
``rejected`` (mapping conflict, parse error) is dead-lettered, since sending
the same content again would only be refused again.

A request refused as a whole (:func:`after_whole_failure`) has no outcome per
document. A ``413`` says it is too large: it is split in halves, down to single
documents, and a single document still too large is dead-lettered. Anything
else (bad credentials, a proxy's error page) is no document's fault: the same
request is sent again after a backoff. Requests are cut (:func:`slices`) by
count and by size, so that a ``413`` is the exception, not the rule.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from barito_common.schemas import DeadLetter
from barito_common.search import BulkOutcome, BulkResult
from barito_flow.documents import Document

__all__ = [
    "Settlement",
    "WholeFailure",
    "after_whole_failure",
    "backoff_delay",
    "bulk_bytes",
    "dead_letter",
    "settle",
    "slices",
]

# The engine said no, but not why (an item without an error body).
_NO_REASON = "rejected by the search engine without a reason"
# 2.0 ** 1024 overflows a float; long before that the delay is at its cap.
_MAX_EXPONENT = 1000
# A document's action line, ``{"create":{"_index":"<index>","_id":"<id>"}}``, and
# the two newlines that end it and the source, without the index and the id.
_ACTION_BYTES = len('{"create":{"_index":"","_id":""}}') + 2
# HTTP 413 Content Too Large: the engine (or a proxy in front of it) refuses the body.
_TOO_LARGE = 413
# The jitter's own generator, so that seeding the global one elsewhere (tests,
# libraries) does not make every flow process retry in step.
_random = random.Random()


@dataclass(frozen=True, slots=True)
class Settlement:
    """A bulk request's documents, sorted by what happens to them next."""

    indexed: list[Document] = field(default_factory=list)
    """Put in the index by this request."""
    existing: list[Document] = field(default_factory=list)
    """Already in the index (``conflict``): a replay, a retried request, or an earlier
    attempt the engine took without answering."""
    retry: list[Document] = field(default_factory=list)
    """The engine could not take them now: send them again after a backoff."""
    dead: list[tuple[Document, str]] = field(default_factory=list)
    """Refused for their content, with the engine's reason: dead-letter them."""

    @property
    def done(self) -> int:
        """How many are in the index now, by this request or before it."""
        return len(self.indexed) + len(self.existing)


def bulk_bytes(document: Document) -> int:
    """Bytes ``document`` adds to a bulk request's body: its action line and its source.

    >>> bulk_bytes(Document("barito-shop-2025.01.31", "0-17-0", {"n": "x"}, {"n": "x"}))
    72
    """
    # orjson writes what the search clients write (compact, UTF-8) in a fraction of
    # the time the rest of a document's way costs. Records hold only what JSON
    # holds; anything else (bytes) is measured by its text, the way it is sent.
    source = orjson.dumps(document.source, default=str)
    return len(source) + len(document.index) + len(document.id) + _ACTION_BYTES


def slices(documents: Sequence[Document], *, max_docs: int, max_bytes: int) -> list[list[Document]]:
    """``documents`` cut, in order, into bulks of at most ``max_docs`` and ``max_bytes``.

    A document over ``max_bytes`` on its own gets a bulk of its own: whether it is
    too large is the engine's call (:func:`after_whole_failure`).

    >>> docs = [Document("i", str(n), {"n": "x" * 100}, {}) for n in range(5)]
    >>> [len(bulk) for bulk in slices(docs, max_docs=2, max_bytes=10_000)]
    [2, 2, 1]
    >>> [len(bulk) for bulk in slices(docs, max_docs=100, max_bytes=300)]
    [2, 2, 1]
    """
    bulks: list[list[Document]] = []
    bulk: list[Document] = []
    size = 0
    for document in documents:
        document_size = bulk_bytes(document)
        if bulk and (len(bulk) == max_docs or size + document_size > max_bytes):
            bulks.append(bulk)
            bulk, size = [], 0
        bulk.append(document)
        size += document_size
    if bulk:
        bulks.append(bulk)
    return bulks


class WholeFailure(enum.Enum):
    """What to do with a bulk request the engine refused as a whole."""

    RETRY = "retry"
    """Send it again after a backoff: the request's documents are not to blame."""
    SPLIT = "split"
    """Send each half of it: the request is too large."""
    DEAD_LETTER = "dead_letter"
    """Dead-letter its one document: it is too large on its own."""


def after_whole_failure(status: int | None, documents: int) -> WholeFailure:
    """What to do with a bulk of ``documents`` refused as a whole with HTTP ``status``.

    ``status`` is ``None`` when there was no answer (or no status to read).

    >>> [after_whole_failure(413, 2).name, after_whole_failure(413, 1).name]
    ['SPLIT', 'DEAD_LETTER']
    >>> after_whole_failure(401, 2).name, after_whole_failure(None, 1).name
    ('RETRY', 'RETRY')
    """
    if status != _TOO_LARGE:
        return WholeFailure.RETRY
    return WholeFailure.SPLIT if documents > 1 else WholeFailure.DEAD_LETTER


def settle(documents: Sequence[Document], result: BulkResult) -> Settlement:
    """Sort ``documents`` by the outcomes of ``result``, which answers them in order.

    Raises ``ValueError`` if ``result`` does not answer exactly these documents.
    """
    if len(documents) != len(result):
        raise ValueError(f"bulk result has {len(result)} outcomes for {len(documents)} documents")
    settlement = Settlement()
    for document, item in zip(documents, result.items, strict=True):
        if item.id != document.id:
            raise ValueError(
                f"bulk result answers document {item.id!r} where {document.id!r} was sent"
            )
        outcome = item.outcome
        if outcome is BulkOutcome.OK:
            settlement.indexed.append(document)
        elif outcome is BulkOutcome.CONFLICT:
            settlement.existing.append(document)
        elif outcome is BulkOutcome.RETRYABLE:
            settlement.retry.append(document)
        else:
            reason = item.reason or item.error_type or _NO_REASON
            settlement.dead.append((document, reason))
    return settlement


def backoff_delay(
    attempt: int, *, base_s: float = 0.5, cap_s: float = 30.0, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry).

    Exponential with full jitter: uniform in ``[0, min(cap_s, base_s * 2 ** (attempt - 1))]``.
    The jitter spreads out the retries of every flow process that met the same
    overloaded engine at the same moment, instead of having them return together.

    >>> backoff_delay(3, rng=random.Random(7)) <= 2.0
    True
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    if base_s <= 0 or cap_s <= 0:
        raise ValueError(f"base_s and cap_s must be positive, got {base_s} and {cap_s}")
    ceiling = min(cap_s, base_s * 2.0 ** min(attempt - 1, _MAX_EXPONENT))
    return (rng or _random).uniform(0.0, ceiling)


def dead_letter(
    document: Document,
    reason: str,
    *,
    app_id: str,
    app_slug: str,
    topic: str,
    partition: int,
    offset: int,
    index_in_chunk: int,
    now: datetime,
) -> DeadLetter:
    """The dead letter of a document the engine refused; ``now`` must be timezone-aware."""
    return DeadLetter(
        app_id=app_id,
        app_slug=app_slug,
        topic=topic,
        partition=partition,
        offset=offset,
        index_in_chunk=index_in_chunk,
        # The record as received, without the fields the flow added: an operator
        # fixes and replays what the app sent, not the flow's rendering of it.
        event=document.record,
        reason=reason,
        failed_at=now,
    )
