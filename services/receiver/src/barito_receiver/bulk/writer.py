"""A bulk request's documents to the app's topic, and one result per action.

Every ``index``/``create`` document whose line parsed goes to Kafka in one
``Ingestor.accept_events`` call, so the promise of every ingest path holds:
the reply comes once Kafka acknowledged, and a refusal of the call (429 over
the rate, 503 without Kafka's ack, 413 for a document over the size limit)
is a refusal of the whole request, in which nothing was confirmed and the
client retries all of it. Clients retry a whole-request 429 or 503; only
some retry items, and rsyslog 8.2302 does not.

Idempotency. Elasticsearch never holds two documents of one ``_id``, so a
client that names its documents may send a request again after a timeout.
Barito's document ids are its own (the flow's ``<chunk id>-<n>``), so the
``_id`` is not kept as one. Instead, a request in which every document has an
``_id`` is named by its body: its chunks carry the request id of the body
(``idempotency.request_id``), and the same body sent again lands on the same
documents however its events were dated. The body, not just the ids, names
it: a client that reuses ids for other logs keeps both, as an explicit
``Idempotency-Key`` does. Within one request, an ``_id`` seen before is
answered as Elasticsearch does: ``create`` with 409, ``index`` by replacing the
earlier document (200 ``updated``).
"""

from __future__ import annotations

import itertools
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from barito_common.chunk_codec import Event, format_event_time
from barito_common.errors import ApiError
from barito_common.schemas import AppProfile
from barito_receiver.bulk.ndjson import WRITES, BulkAction, parse_bulk
from barito_receiver.bulk.responses import ElasticError, ItemError, ItemResult
from barito_receiver.decode_errors import BodyError
from barito_receiver.decompression import decompress
from barito_receiver.event_time import record_time
from barito_receiver.idempotency import request_id
from barito_receiver.ingest import Ingestor

__all__ = ["IDS_KEY", "BulkWriter"]

IDS_KEY = "elasticsearch-bulk-ids"
"""The idempotency key of a request whose every document names its ``_id``."""

_REASONS = {
    "document_parsing_exception": "malformed",
    "version_conflict_engine_exception": "duplicate",
}


@dataclass(frozen=True)
class BulkWriter:
    """What the bulk routes do with a request, once its app is known."""

    ingestor: Ingestor
    app: AppProfile

    def decoded(self, body: bytes, content_encoding: str | None) -> bytes:
        """The body with its Content-Encoding undone, within the body and ratio limits."""
        settings = self.ingestor.settings
        try:
            return decompress(
                body,
                content_encoding,
                max_bytes=settings.max_request_bytes,
                max_ratio=settings.max_compression_ratio,
            )
        except BodyError as err:
            self.refused(1, "too_large" if err.status == 413 else "malformed")
            raise ApiError(err.status, str(err)) from err

    def actions(self, raw: bytes, *, default_index: str | None) -> list[BulkAction]:
        """The decoded body's actions (``ElasticError`` for a request bad as a whole)."""
        try:
            return parse_bulk(
                raw,
                default_index=default_index,
                max_actions=self.ingestor.settings.max_events_per_request,
            )
        except ElasticError as err:
            self.refused(1, "too_large" if err.status == 413 else "malformed")
            raise

    def refused(self, events: int, reason: str) -> None:
        self.ingestor.usage.rejected(self.app.app_id, self.app.slug, events, reason)

    async def write(
        self, actions: list[BulkAction], *, raw: bytes, idempotency_key: str | None
    ) -> list[ItemResult]:
        """Write the actions' documents; their results in order (``ApiError`` refuses all)."""
        fallback = format_event_time(datetime.now(UTC))
        new_id = _IdMaker()
        events: list[Event] = []
        results: list[ItemResult] = []
        slots: dict[str, int] = {}
        versions: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        for action in actions:
            index = action.index or self.app.index_prefix
            doc_id = action.id
            error = action.error
            if error is None and doc_id is not None and doc_id in slots and action.op == "create":
                error = ItemError(
                    409,
                    "version_conflict_engine_exception",
                    f"[{doc_id}]: version conflict, document already exists (current version "
                    f"[{versions[doc_id]}]); the same _id came earlier in this request",
                )
            if error is not None or action.source is None:
                error = error or ItemError(400, "document_parsing_exception", "no document")
                refused[_REASONS.get(error.type, "unsupported")] += 1
                results.append(
                    ItemResult(action.op, index, doc_id or new_id(), error.status, error)
                )
                continue
            event = Event(record_time(action.source) or fallback, action.source)
            if doc_id is None:
                events.append(event)
                results.append(ItemResult(action.op, index, new_id(), 201))
            elif doc_id in slots:  # index over an earlier document of this request
                events[slots[doc_id]] = event
                versions[doc_id] += 1
                results.append(ItemResult(action.op, index, doc_id, 200, version=versions[doc_id]))
            else:
                slots[doc_id] = len(events)
                versions[doc_id] = 1
                events.append(event)
                results.append(ItemResult(action.op, index, doc_id, 201))
        for reason, count in refused.items():
            self.refused(count, reason)
        if events:
            key = idempotency_key or (IDS_KEY if _all_named(actions) else None)
            request = request_id(key, raw) if key is not None else None
            await self.ingestor.accept_events(self.app, events, raw_bytes=len(raw), request=request)
        return results


def _all_named(actions: list[BulkAction]) -> bool:
    return all(action.id is not None for action in actions if action.op in WRITES)


class _IdMaker:
    """Ids for documents sent without one: 20 URL-safe characters, as Elasticsearch's.

    Clients only echo them. A random prefix per request and a counter: one
    call to the system's randomness per request rather than per document.
    """

    def __init__(self) -> None:
        self._prefix = secrets.token_urlsafe(9)
        self._count = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._count):08x}"
