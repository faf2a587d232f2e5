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

import json
import re
from datetime import datetime
from typing import Any

import msgpack
import orjson

from barito_common.chunk_codec import Event, format_event_time
from barito_receiver.decode_errors import (
    BodyTooLarge,
    InvalidEvent,
    MalformedBody,
    UnsupportedMediaType,
    excerpt,
)
from barito_receiver.event_time import EventTime, parse_time, record_time

__all__ = [
    "JSON_TYPES",
    "MSGPACK_TYPES",
    "NDJSON_TYPES",
    "SNIFFED_TYPES",
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
_BLANK_TEXT = re.compile(r"[ \t\r\n]*")
_loads = orjson.loads
# Event(time, record) goes through a Python-level __new__; building the tuple
# directly is three times faster, which matters once per event.
_new_event = tuple.__new__


def parse_events(
    body: bytes,
    content_type: str | None,
    *,
    received_at: datetime,
    max_events: int | None = None,
) -> list[Event]:
    """Decode ``body`` as the events it holds, or raise a ``BodyError`` saying why not."""
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
        media_type = "application/json" if body[start] in b"{[" else "application/msgpack"
    fallback = format_event_time(received_at)

    if media_type in MSGPACK_TYPES:
        events = _msgpack_events(body, fallback, max_events)
    else:
        records = _json_body(body) if media_type in JSON_TYPES else _json_sequence(body)
        _check_count(len(records), max_events)
        events = _dated(records, fallback)
    if not events:
        raise MalformedBody("no events in body")
    return events


def _check_count(count: int, max_events: int | None) -> None:
    if max_events is not None and count > max_events:
        raise BodyTooLarge(f"body holds {count} events, over the limit of {max_events}")


def _dated(records: list[Any], fallback: str) -> list[Event]:
    events: list[Event] = []
    append = events.append
    for record in records:
        if type(record) is not dict:
            raise InvalidEvent(len(events), f"is not a JSON object (got {_json_kind(record)})")
        append(_new_event(Event, (record_time(record) or fallback, record)))
    return events


# --- JSON -------------------------------------------------------------------------


def _json_body(body: bytes) -> list[Any]:
    """application/json: one value for the whole body, else a sequence of objects."""
    try:
        value = _loads(body)
    except orjson.JSONDecodeError:
        return _json_sequence(body)
    if type(value) is list:
        return value
    if type(value) is dict:
        items = value.get("items")
        if len(value) == 1 and type(items) is list:
            return items
        return [value]
    raise InvalidEvent(0, f"is not a JSON object (got {_json_kind(value)})")


def _json_sequence(body: bytes) -> list[Any]:
    """JSON values one after another, as lines or back to back."""
    # Fast paths first, each with one orjson call per event; the general
    # decoder below is slower but finds any boundary and names any error.
    lines = body.split(b"\n")
    present = [line for line in lines if line and not line.isspace()]
    # Fastest: the lines joined into one JSON array, read by a single orjson
    # call. Accepted only when it yields exactly one value per line; otherwise
    # a line held a top-level comma or an unclosed bracket, and the per-line
    # paths below decide (and name the bad event).
    try:
        joined = _loads(b"[" + b",".join(present) + b"]")
    except orjson.JSONDecodeError:
        pass
    else:
        if len(joined) == len(present):
            return joined  # type: ignore[no-any-return]
    try:
        return [_loads(line) for line in present]
    except orjson.JSONDecodeError:
        pass
    if b"}{" in body:
        records = _split_back_to_back(body)
        if records is not None:
            return records
    # Keep the lines that parse on their own and scan only from the first one
    # that does not, so a bad last line does not cost a slow pass over it all.
    records = []
    offset = 0
    for line in lines:
        if line and not line.isspace():
            try:
                records.append(_loads(line))
            except orjson.JSONDecodeError:
                break
        offset += len(line) + 1
    return _json_stream(body, offset, records)


def _split_back_to_back(body: bytes) -> list[Any] | None:
    """Objects glued with no separator (Fluent Bit json_stream): cut at each ``}{``.

    A cut inside a string leaves the piece before it with an unterminated
    string, so if every piece parses, every cut was between two objects.
    """
    parts = body.split(b"}{")
    last = len(parts) - 1
    try:
        return [
            _loads((b"{" if index else b"") + part + (b"}" if index < last else b""))
            for index, part in enumerate(parts)
        ]
    except orjson.JSONDecodeError:
        return None


def _json_stream(body: bytes, offset: int, records: list[Any]) -> list[Any]:
    """The general case: find each value with the stdlib scanner, read it with orjson.

    Scanning starts at byte ``offset``, after ``records`` already read. orjson
    reads each value so that every path accepts exactly the same JSON (no NaN,
    no lone surrogates, big integers as floats).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedBody(f"body is not valid UTF-8 at byte {err.start}") from err
    scan = _SCANNER.raw_decode
    end = len(text)
    # The bytes before offset are whole lines orjson read, hence valid UTF-8.
    position = len(body[:offset].decode("utf-8")) if offset else 0
    position = _BLANK_TEXT.match(text, position).end()  # type: ignore[union-attr]
    while position < end:
        start = position
        try:
            _, position = scan(text, start)
            records.append(_loads(text[start:position]))
        except json.JSONDecodeError as err:
            # orjson's positions are relative to the value, the scanner's to the body.
            where = err.pos if err.doc is text else start + err.pos
            raise _json_error(text, start, where, err.msg, len(records)) from err
        except RecursionError as err:
            raise _json_error(text, start, start, "nested too deeply", len(records)) from err
        position = _BLANK_TEXT.match(text, position).end()  # type: ignore[union-attr]
    return records


# Finds where each value ends. It accepts NaN and Infinity, which orjson then
# refuses with their exact position.
_SCANNER = json.JSONDecoder()


def _json_error(text: str, start: int, where: int, problem: str, index: int) -> MalformedBody:
    byte = len(text[:where].encode("utf-8", "surrogatepass"))
    line = text.count("\n", 0, where) + 1
    event = f", event {index}" if text.startswith("{", start) else ""
    rest = text[where : where + 40]
    near = f", near {excerpt(rest, 40)}" if rest else ", where the body ends"
    return MalformedBody(
        f"body is not valid JSON at byte {byte} (line {line}{event}): {problem}{near}"
    )


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


# --- msgpack ----------------------------------------------------------------------


def _msgpack_events(body: bytes, fallback: str, max_events: int | None) -> list[Event]:
    extensions: list[int] = []

    def ext_hook(code: int, data: bytes) -> object:
        # Counted so that an extension value inside a record, which has no JSON
        # equivalent, is found without walking every record.
        extensions.append(code)
        if code == 0 and len(data) == 8:
            return EventTime.from_ext(data)
        return msgpack.ExtType(code, data)

    unpacker = msgpack.Unpacker(
        raw=False,
        strict_map_key=True,
        ext_hook=ext_hook,
        max_buffer_size=max(len(body), 1024),
    )
    unpacker.feed(body)
    events: list[Event] = []
    consumed = 0
    while True:
        try:
            value = unpacker.unpack()
        except msgpack.OutOfData:
            break
        except (ValueError, TypeError, msgpack.UnpackException) as err:
            raise _msgpack_error(body, consumed, len(events), err) from err
        consumed = unpacker.tell()
        first = len(events)
        time_from_header = _add_msgpack_value(value, events, fallback)
        if extensions:
            if len(extensions) > time_from_header:
                _fix_extensions(events, first)
            extensions.clear()
        if max_events is not None and len(events) > max_events:
            raise BodyTooLarge(f"body holds more than {max_events} events, over the limit")
    if consumed != len(body):
        raise MalformedBody(
            f"msgpack body is truncated: the value at byte {consumed} (event {len(events)}) "
            "is incomplete"
        )
    for index, event in enumerate(events):
        _binary_to_text(event.record, index)
    return events


def _binary_to_text(value: dict[Any, Any] | list[Any], index: int) -> None:
    """Turn msgpack ``bin`` keys and values into text, in place.

    fluentd packs strings it holds as binary (ASCII-8BIT) as msgpack ``bin``;
    they are text to the user, and JSON (hence the search engine) has no bytes:
    one such value would make its whole bulk request unserialisable. Binary
    that is not UTF-8 text is refused with the event named, not dropped.
    """
    if isinstance(value, list):
        for position, item in enumerate(value):
            value[position] = _texts_in(item, index)
        return
    for key, item in list(value.items()):
        converted = _texts_in(item, index)
        if type(key) is bytes:
            del value[key]
            value[_text(key, index)] = converted
        elif converted is not item:
            value[key] = converted


def _texts_in(item: Any, index: int) -> Any:
    kind = type(item)
    if kind is bytes:
        return _text(item, index)
    if kind is dict or kind is list:
        _binary_to_text(item, index)
    return item


def _text(data: bytes, index: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidEvent(index, "holds binary data that is not UTF-8 text") from err


def _add_msgpack_value(value: Any, events: list[Event], fallback: str) -> int:
    """Append the events ``value`` holds; return 1 if its time was an EventTime header."""
    if type(value) is dict:
        events.append(_new_event(Event, (record_time(value) or fallback, value)))
        return 0
    if type(value) is not list:
        raise InvalidEvent(len(events), f"is not a msgpack map (got {_msgpack_kind(value)})")
    head = _fluent_bit_time(value)
    if head is not None:
        events.append(_new_event(Event, (parse_time(head) or fallback, value[1])))
        return 1 if type(head) is EventTime else 0
    for item in value:
        if type(item) is not dict:
            raise InvalidEvent(len(events), f"is not a msgpack map (got {_msgpack_kind(item)})")
        events.append(_new_event(Event, (record_time(item) or fallback, item)))
    return 0


def _fluent_bit_time(value: list[Any]) -> EventTime | int | float | None:
    """The time of a Fluent Bit event ``[time, record]`` or ``[[time, metadata], record]``."""
    if len(value) != 2 or type(value[1]) is not dict:
        return None
    head = value[0]
    if type(head) is list and head and (len(head) == 1 or type(head[1]) is dict):
        head = head[0]
    if type(head) is msgpack.Timestamp:
        return EventTime(head.seconds, head.nanoseconds)
    if type(head) is EventTime or type(head) is int or type(head) is float:
        return head
    return None


def _fix_extensions(events: list[Event], first: int) -> None:
    """Replace EventTimes inside records by their ISO string; refuse other extensions."""
    for index in range(first, len(events)):
        try:
            _replace_extensions(events[index].record)
        except _ExtensionFound as found:
            raise InvalidEvent(
                index,
                f"holds a msgpack extension value (type {found.code}), which has no JSON "
                "equivalent",
            ) from None
        except RecursionError:
            raise InvalidEvent(index, "nests values too deeply") from None


class _ExtensionFound(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _replace_extensions(value: dict[str, Any] | list[Any]) -> None:
    keys = value.keys() if isinstance(value, dict) else range(len(value))
    for key in keys:
        item = value[key]  # type: ignore[index]
        if isinstance(item, (dict, list)):
            _replace_extensions(item)
        elif type(item) is EventTime:
            value[key] = parse_time(item)  # type: ignore[index]
        elif type(item) is msgpack.ExtType:
            raise _ExtensionFound(item.code)


def _msgpack_error(body: bytes, start: int, index: int, err: Exception) -> MalformedBody:
    if isinstance(err, UnicodeDecodeError):
        return InvalidEvent(index, "holds a string that is not valid UTF-8")
    if isinstance(err, ValueError) and "map key" in str(err):
        return InvalidEvent(_first_bad_key_event(body, start, index), _NON_STRING_KEY)
    if isinstance(err, msgpack.StackError):
        return InvalidEvent(index, "nests values too deeply")
    if isinstance(err, msgpack.FormatError):
        problem = "it holds an invalid type byte"
    else:
        problem = str(err)[:80]
    return MalformedBody(
        f"body is not valid msgpack: the value at byte {start} (event {index}) is corrupt: "
        f"{problem}"
    )


_NON_STRING_KEY = "has a map key that is not a string; keys must be strings at every level"


def _first_bad_key_event(body: bytes, start: int, index: int) -> int:
    """Find which event of the value at ``start`` holds the non-string key."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=len(body))
    unpacker.feed(body[start:])
    try:
        value = unpacker.unpack()
    except Exception:  # e.g. an unhashable key: the value's first event is as close as we get
        return index
    if type(value) is list and _fluent_bit_time(value) is None:
        for offset, item in enumerate(value):
            try:
                if _has_non_string_key(item):
                    return index + offset
            except RecursionError:
                return index + offset
    return index


def _has_non_string_key(value: object) -> bool:
    if isinstance(value, dict):
        return any(
            type(key) not in (str, bytes) or _has_non_string_key(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_has_non_string_key(item) for item in value)
    return False


def _msgpack_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, msgpack.ExtType):
        return f"extension type {value.code}"
    return {
        dict: "map",
        list: "array",
        str: "string",
        bytes: "binary",
        int: "integer",
        float: "float",
        type(None): "nil",
        EventTime: "EventTime",
    }.get(type(value), type(value).__name__)
