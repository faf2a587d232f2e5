"""A decoded chunk becomes search documents: index, ``_id`` and source of each event.

    >>> from datetime import date
    >>> from barito_common.chunk_codec import Event
    >>> events = [Event("2025-01-31T23:59:59.999Z", {"message": "hi", "app": "theirs"})]
    >>> [doc] = chunk_documents(
    ...     events=events, app_slug="shop", index_prefix="barito-shop",
    ...     chunk_id="hNN2GT1uuAoWdlRe", fallback_day=date(2025, 2, 1),
    ... )
    >>> doc.index, doc.id
    ('barito-shop-2025.01.31', 'hNN2GT1uuAoWdlRe-0')
    >>> doc.source["@timestamp"], doc.source["app"], doc.source["barito"]
    ('2025-01-31T23:59:59.999Z', 'theirs', {'app': 'shop'})

Pure and fast: it runs once per event, so the common case (the receiver's
canonical ``YYYY-MM-DDTHH:MM:SS.mmmZ`` time) is a few string slices and one
comparison, with no datetime parsing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from barito_common.chunk_codec import REQUEST_ID_HEADER, Event
from barito_common.search.tenant_field import tenant_fields

__all__ = ["Document", "chunk_documents", "chunk_id", "index_name"]


class Document(NamedTuple):
    """One event ready to index: ``(index, id, source)`` plus the record it came from.

    ``(doc.index, doc.id, doc.source)`` is what the search adapter's ``bulk_index``
    takes; ``record`` is the event's record as received, untouched, for a dead letter.
    """

    # Shadows tuple.index(), which no caller of a document needs; the name matches
    # the adapter's (index, id, source) and the engine's "_index".
    index: str  # type: ignore[assignment]
    id: str
    source: dict[str, Any]
    record: dict[str, Any]


# Built without the NamedTuple's Python-level __new__: this runs once per event.
_tuple_new = tuple.__new__


def chunk_id(chunk: bytes, headers: Sequence[tuple[str, bytes]] = ()) -> str:
    """The id of a chunk: 96 bits of BLAKE2b, URL-safe base64 (16 characters).

    A document's ``_id`` derives from its chunk, not from where Kafka stored it.
    A chunk read again after a crash is the same chunk, and so is one the
    receiver wrote again because its client retried after an ambiguous 503 (a
    write Kafka took but could not confirm in time): both land on the ids
    already indexed, and ``op_type=create`` adds nothing.

    * A chunk of a request its client named (an idempotency key) is identified
      by its :data:`~barito_common.chunk_codec.REQUEST_ID_HEADER`: the retry of
      such a request is recognised even though its events were stamped on
      receipt anew.
    * Any other chunk is identified by its content. The cost: two requests whose
      events are identical, times to the millisecond included, are one set of
      documents.

    The two kinds hash under different personalisations, so they never collide.

    >>> chunk_id(b"chunk") == chunk_id(b"chunk"), chunk_id(b"chunk") == chunk_id(b"chunk!")
    (True, False)
    >>> from barito_common.chunk_codec import request_id_headers
    >>> named = request_id_headers("hNN2GT1uuAoWdlRe", 0)
    >>> chunk_id(b"attempt 1", named) == chunk_id(b"attempt 2", named)
    True
    """
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            digest = hashlib.blake2b(value, digest_size=12, person=b"barito-request").digest()
            break
    else:
        digest = hashlib.blake2b(chunk, digest_size=12).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def index_name(index_prefix: str, event_time: str, *, fallback_day: date) -> str:
    """``<index_prefix>-YYYY.MM.DD``, the UTC day of ``event_time``.

    ``fallback_day`` (e.g. the day of the Kafka record's timestamp) names the
    index of an event whose time cannot be read at all.

    >>> index_name("barito-shop", "2025-01-31T10:00:00.000Z", fallback_day=date(2000, 1, 1))
    'barito-shop-2025.01.31'
    >>> index_name("barito-shop", "2025-01-31T22:00:00-05:00", fallback_day=date(2000, 1, 1))
    'barito-shop-2025.02.01'
    """
    day = _utc_day(event_time) or _dotted(fallback_day)
    return f"{index_prefix}-{day}"


def chunk_documents(
    *,
    events: list[Event],
    app_slug: str,
    index_prefix: str,
    chunk_id: str,
    fallback_day: date,
) -> list[Document]:
    """The documents of one chunk, in event order.

    * ``_id`` is ``<chunk_id>-<n>``, ``n`` the event's position in the chunk and
      ``chunk_id`` that of its request or content (:func:`chunk_id`): the same
      chunk read or written again targets the same ids, and with
      ``op_type=create`` adds nothing.
    * The index is the day of the event's own time in UTC, so an event that
      arrives late lands in the index of the day it happened.
    * The source is the record plus two fields Barito owns (see below).
    """
    # "@timestamp" is the event time the receiver settled on: it was read from
    # the record's own time field when that held a valid time, so replacing the
    # field loses at most that time's original spelling, or a value the date
    # mapping would have rejected.
    # The app goes under Barito's own object (tenant_field.TENANT_OBJECT, "barito")
    # instead of a top-level "app": many records already carry an "app" of their
    # own, and clobbering it would lose the user's data. Both names are reserved;
    # the dead letter keeps the record as received. The tenant fields are built
    # once per chunk and shared by its sources: they are serialised, never mutated.
    tenant = tenant_fields(app_slug)
    id_prefix = f"{chunk_id}-"
    fallback_index = f"{index_prefix}-{_dotted(fallback_day)}"
    indices: dict[str, str] = {}
    last_day = ""
    index = fallback_index
    documents: list[Document] = []
    append = documents.append
    for n, (time, record) in enumerate(events):
        # The canonical form is UTC ("Z") with "T" after the date: its first ten
        # characters are the UTC day. Most events of a chunk share their day with
        # the event before, so the index is looked up only when the day changes.
        if len(time) > 10 and time[-1] == "Z" and time[10] == "T":
            day = time[:10]
            if day != last_day:
                last_day = day
                cached = indices.get(day)
                if cached is None:
                    dotted = _dotted_date(day)
                    cached = indices[day] = f"{index_prefix}-{dotted}" if dotted else fallback_index
                index = cached
            event_index = index
        else:
            dotted = _parsed_utc_day(time)
            event_index = f"{index_prefix}-{dotted}" if dotted else fallback_index
        source = {**record, "@timestamp": time, **tenant}
        append(_tuple_new(Document, (event_index, f"{id_prefix}{n}", source, record)))
    return documents


def _utc_day(event_time: str) -> str | None:
    """``YYYY.MM.DD`` of the UTC day of ``event_time``, or None if it is not a time."""
    if len(event_time) > 10 and event_time[-1] == "Z" and event_time[10] == "T":
        return _dotted_date(event_time[:10])
    return _parsed_utc_day(event_time)


def _dotted_date(day: str) -> str | None:
    """``YYYY-MM-DD`` (checked to be a real date) as ``YYYY.MM.DD``; None otherwise."""
    # date.fromisoformat is not enough: it also takes week dates ("2025-W05-1").
    if len(day) != 10 or not day.isascii() or day[4] != "-" or day[7] != "-":
        return None
    year, month, dom = day[:4], day[5:7], day[8:]
    if not (year.isdigit() and month.isdigit() and dom.isdigit()):
        return None
    try:
        date(int(year), int(month), int(dom))
    except ValueError:
        return None
    return f"{year}.{month}.{dom}"


def _parsed_utc_day(event_time: str) -> str | None:
    """The slow path, for times not in the canonical form: an offset, no "T", etc."""
    try:
        moment = datetime.fromisoformat(event_time)
    except ValueError:
        return None
    # Without an offset the time is UTC, as the receiver reads it too.
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00
            return None
    return _dotted(moment.date())


def _dotted(day: date) -> str:
    return f"{day.year:04d}.{day.month:02d}.{day.day:02d}"
