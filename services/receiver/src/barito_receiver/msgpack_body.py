"""msgpack bodies: maps back to back (fluentd) and Fluent Bit's timed events."""

from __future__ import annotations

from typing import Any

import msgpack

from barito_common.chunk_codec import Event
from barito_receiver.decode_errors import BodyTooLarge, InvalidEvent, MalformedBody
from barito_receiver.event_time import EventTime, parse_time, record_time

__all__ = ["msgpack_events", "new_event"]

# Event(time, record) goes through a Python-level __new__; building the tuple
# directly is three times faster, which matters once per event (body_formats
# uses it for JSON events too).
new_event = tuple.__new__


def msgpack_events(body: bytes, fallback: str, max_events: int | None) -> list[Event]:
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
        events.append(new_event(Event, (record_time(value) or fallback, value)))
        return 0
    if type(value) is not list:
        raise InvalidEvent(len(events), f"is not a msgpack map (got {_msgpack_kind(value)})")
    head = _fluent_bit_time(value)
    if head is not None:
        events.append(new_event(Event, (parse_time(head) or fallback, value[1])))
        return 1 if type(head) is EventTime else 0
    for item in value:
        if type(item) is not dict:
            raise InvalidEvent(len(events), f"is not a msgpack map (got {_msgpack_kind(item)})")
        events.append(new_event(Event, (record_time(item) or fallback, item)))
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
