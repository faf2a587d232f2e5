"""Turn a (decompressed) request body into events, whatever agent sent it.

    >>> from datetime import UTC, datetime
    >>> parse_events(b'{"msg":"a","time":1700000000.5}', "application/json",
    ...              received_at=datetime(2024, 1, 1, tzinfo=UTC))
    [Event(time='2023-11-14T22:13:20.500Z', record={'msg': 'a', 'time': 1700000000.5})]

Formats, chosen by Content-Type (parameters and case ignored); without one, or
with ``application/octet-stream``, a body whose first non-blank byte is ``{`` or
``[`` is JSON and anything else msgpack:

* ``application/json``: one object, an array of objects, or objects one after
  the other, with newlines or with nothing in between (Fluent Bit's json_lines
  before 3.0.3 and json_stream both say application/json). A lone
  ``{"items": [...]}`` is the original Barito plugin's batch: its items are
  the events.
* ``application/x-ndjson`` and its aliases (:data:`NDJSON_TYPES`): one object
  per line; objects back to back are tolerated too.
* ``application/msgpack`` / ``application/x-msgpack``: msgpack values back to
  back, each a map (fluentd), an ``[EventTime, map]`` or
  ``[[EventTime, metadata], map]`` pair (Fluent Bit) or an array of maps.

Every event must be an object with string keys; the record is kept exactly as
sent. Its time comes from Fluent Bit's EventTime when there is one, otherwise
from the record (see :func:`barito_receiver.event_time.record_time`), and is the
receive time when neither holds a valid time. Errors are the ``BodyError``
family of :mod:`barito_receiver.decode_errors` and name the first bad event.
"""

from __future__ import annotations

import re
from datetime import datetime
from itertools import repeat
from typing import Any

from barito_common.chunk_codec import Event, format_event_time
from barito_receiver.decode_errors import (
    BodyTooLarge,
    InvalidEvent,
    MalformedBody,
    UnsupportedMediaType,
    excerpt,
)
from barito_receiver.event_time import record_times
from barito_receiver.json_body import json_kind, parse_json_body, parse_json_sequence
from barito_receiver.msgpack_body import msgpack_events, new_event

__all__ = [
    "JSON_TYPES",
    "MSGPACK_TYPES",
    "NDJSON_TYPES",
    "SNIFFED_TYPES",
    "body_media_type",
    "decode_events",
    "parse_events",
]

JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/json-lines",
        "application/jsonlines",
        "application/x-json-stream",
    }
)
MSGPACK_TYPES = frozenset(
    {"application/msgpack", "application/x-msgpack", "application/vnd.msgpack"}
)
SNIFFED_TYPES = frozenset({"", "application/octet-stream"})
_PARSED_TYPES = JSON_TYPES | NDJSON_TYPES | MSGPACK_TYPES

_ACCEPTED = "application/json, application/x-ndjson, application/msgpack"
_BLANK = re.compile(rb"[ \t\r\n]*")


def parse_events(
    body: bytes,
    content_type: str | None,
    *,
    received_at: datetime,
    max_events: int | None = None,
) -> list[Event]:
    """Decode ``body`` as the events it holds, or raise a ``BodyError`` saying why not."""
    return decode_events(
        body,
        body_media_type(body, content_type),
        received_at=received_at,
        max_events=max_events,
    )


def body_media_type(body: bytes, content_type: str | None) -> str:
    """The format ``body`` is read in: a type of :data:`_PARSED_TYPES`, sniffed if need be.

    Raises :class:`UnsupportedMediaType`, or :class:`MalformedBody` for a blank body.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    sniff = media_type in SNIFFED_TYPES
    if not sniff and media_type not in _PARSED_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type {excerpt(media_type)} is not supported; send {_ACCEPTED} "
            "(or application/octet-stream to have the format detected)"
        )
    start = _BLANK.match(body).end()  # type: ignore[union-attr]  # always matches
    if start == len(body):
        raise MalformedBody("no events in body")
    if sniff:
        return "application/json" if body[start] in b"{[" else "application/msgpack"
    return media_type


def decode_events(
    body: bytes, media_type: str, *, received_at: datetime, max_events: int | None = None
) -> list[Event]:
    """The events of ``body`` read as ``media_type`` (from :func:`body_media_type`)."""
    fallback = format_event_time(received_at)
    if media_type in MSGPACK_TYPES:
        events = msgpack_events(body, fallback, max_events)
    else:
        records = parse_json_body(body) if media_type in JSON_TYPES else parse_json_sequence(body)
        _check_count(len(records), max_events)
        events = _dated(records, fallback)
    if not events:
        raise MalformedBody("no events in body")
    return events


def _check_count(count: int, max_events: int | None) -> None:
    if max_events is not None and count > max_events:
        raise BodyTooLarge(f"body holds {count} events, over the limit of {max_events}")


def _dated(records: list[Any], fallback: str) -> list[Event]:
    if set(map(type, records)) != {dict}:
        for index, record in enumerate(records):
            if type(record) is not dict:
                raise InvalidEvent(index, f"is not a JSON object (got {json_kind(record)})")
    # C-level passes over the body: no Python frame per event.
    times = record_times(records, fallback)
    return list(map(new_event, repeat(Event), zip(times, records, strict=True)))
