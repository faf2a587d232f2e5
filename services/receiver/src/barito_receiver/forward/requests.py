"""One forward-protocol request, from a decoded msgpack value to events (no I/O).

The msgpack type of element 2 tells the modes apart::

    Message                   [tag, time, record, option?]       time: int, float or EventTime
    Forward                   [tag, [[time, record], ...], option?]
    PackedForward             [tag, <entries, concatenated>, option?]   bin, or str (fluentd)
    CompressedPackedForward   the same, gzipped (option compressed: "gzip"; several members)

An entry's time may also be ``[time, metadata]`` (Fluent Bit 2.1+). The whole
request is decoded before anything is written, so a refused one leaves
nothing behind. Errors::

    ValueError
    └── BodyError (decode_errors)     .status: 400 malformed, 413 too large
        └── ...                       raised here with the reason the log names

    >>> request = decode_request(["app", 1700000000, {"msg": "a"}], max_events=10,
    ...                          max_bytes=1024, max_ratio=10)
    >>> request.tag, request.events
    ('app', [Event(time='2023-11-14T22:13:20.000Z', record={'msg': 'a'})])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from barito_common.chunk_codec import Event
from barito_receiver.decode_errors import BodyTooLarge, MalformedBody, UnsupportedEncoding
from barito_receiver.decompression import decompress
from barito_receiver.event_time import EventTime, parse_time

__all__ = [
    "ForwardRequest",
    "decode_request",
    "ext_hook",
    "raw_bytes",
    "stream_unpacker",
]

# Fluent Bit's fluent_signal: 0 is logs; metrics, traces, blobs and profiles are
# binary cmetrics/ctraces payloads that are not log events.
_LOGS_SIGNAL = 0
# "text" is fluentd out_forward's way of saying "not compressed"; zstd is
# fluentd 1.19's experimental option, which the HTTP decompressor also undoes.
_COMPRESSIONS = {"text": None, "gzip": "gzip", "zstd": "zstd"}


@dataclass(frozen=True)
class ForwardRequest:
    tag: str
    events: list[Event]
    chunk: str | bytes | None
    """The option ``chunk`` exactly as received: the ack echoes it byte for byte."""
    size: int
    """Bytes the events took, decompressed (what the usage counts)."""


def ext_hook(code: int, data: bytes) -> object:
    """EventTime is ext type 0 with 8 bytes (fixext8 or ext8 alike); others stay ExtType."""
    if code == 0 and len(data) == 8:
        return EventTime.from_ext(data)
    return msgpack.ExtType(code, data)


def stream_unpacker(max_bytes: int) -> msgpack.Unpacker:
    """The unpacker of a connection's stream: one value may take at most ``max_bytes``.

    Strings are decoded with surrogateescape: fluentd packs PackedForward entries
    and Fluent Bit its handshake salt as str holding arbitrary bytes, which
    :func:`raw_bytes` gets back exactly.
    """
    return msgpack.Unpacker(
        raw=False,
        unicode_errors="surrogateescape",
        strict_map_key=True,
        ext_hook=ext_hook,
        max_buffer_size=max_bytes,
    )


def raw_bytes(value: str | bytes) -> bytes:
    """The bytes a msgpack str or bin carried."""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogateescape")


def decode_request(
    value: list[Any], *, max_events: int, max_bytes: int, max_ratio: float
) -> ForwardRequest:
    """The request ``value`` holds; raises a ``BodyError`` saying what is wrong with it."""
    if not 2 <= len(value) <= 4:
        raise MalformedBody(
            f"a forward request is an array of 2 to 4 elements; got one of {len(value)}"
        )
    if not isinstance(value[0], str):
        raise MalformedBody("the tag (element 1) is not a string")
    tag, second = value[0], value[1]
    batch = isinstance(second, (list, str, bytes))
    # Fluent Bit's Forward mode has no option (2 elements); Message mode always a record.
    if len(value) != (3 if batch else 4) and len(value) != (2 if batch else 3):
        kind = "Forward or PackedForward" if batch else "Message"
        raise MalformedBody(f"a {kind} request of {len(value)} elements")
    option = value[-1] if len(value) == (3 if batch else 4) else None
    if option is None:
        option = {}
    elif not isinstance(option, dict):
        raise MalformedBody("the option (last element) is not a map")
    chunk = option.get("chunk")
    if chunk is not None and not isinstance(chunk, (str, bytes)):
        raise MalformedBody("the option chunk is not a string")
    if option.get("fluent_signal", _LOGS_SIGNAL) != _LOGS_SIGNAL:
        # Dropped, yet acknowledged like any request: a client waiting for the
        # ack would otherwise send it again forever.
        return ForwardRequest(tag, [], chunk, 0)
    if isinstance(second, list):
        if len(second) > max_events:
            raise _too_many(max_events)
        events = [_entry(entry, n) for n, entry in enumerate(second)]
        size = 0
    elif isinstance(second, (str, bytes)):
        entries = _decompressed(raw_bytes(second), option, max_bytes, max_ratio)
        events = _packed_entries(entries, max_events)
        size = len(entries)
    else:
        if not isinstance(value[2], dict):
            raise MalformedBody("a Message request's record (element 3) is not a map")
        events = [_event(second, value[2], 0)]
        size = 0
    return ForwardRequest(tag, events, chunk, size)


def _decompressed(entries: bytes, option: dict[Any, Any], max_bytes: int, ratio: float) -> bytes:
    compressed = option.get("compressed", "text")
    if compressed not in _COMPRESSIONS:
        raise UnsupportedEncoding(
            f"compressed {str(compressed)[:20]!r} is not supported; use gzip (or text)"
        )
    encoding = _COMPRESSIONS[compressed]
    if encoding is None:
        return entries
    return decompress(entries, encoding, max_bytes=max_bytes, max_ratio=ratio)


def _packed_entries(entries: bytes, max_events: int) -> list[Event]:
    unpacker = msgpack.Unpacker(
        raw=False, strict_map_key=True, ext_hook=ext_hook, max_buffer_size=max(len(entries), 1)
    )
    unpacker.feed(entries)
    events: list[Event] = []
    while True:
        try:
            entry = unpacker.unpack()
        except msgpack.OutOfData:
            break
        except UnicodeDecodeError as err:
            raise MalformedBody(f"entry {len(events)} holds a string that is not UTF-8") from err
        except (ValueError, msgpack.UnpackException) as err:
            problem = str(err)[:80]
            raise MalformedBody(f"entry {len(events)} is not valid msgpack: {problem}") from err
        if len(events) == max_events:
            raise _too_many(max_events)
        events.append(_entry(entry, len(events)))
    if unpacker.tell() != len(entries):
        raise MalformedBody(f"the packed entries end inside entry {len(events)}")
    return events


def _entry(entry: Any, index: int) -> Event:
    if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[1], dict):
        raise MalformedBody(f"entry {index} is not [time, record]")
    time = entry[0]
    # Fluent Bit 2.1+: [[time, metadata], record]; the metadata is not kept.
    if isinstance(time, list) and time:
        time = time[0]
    return _event(time, entry[1], index)


def _event(time: Any, record: dict[Any, Any], index: int) -> Event:
    if type(time) not in (int, float, EventTime):
        raise MalformedBody(f"entry {index}'s time is not an integer or an EventTime")
    text = parse_time(time)
    if text is None:
        raise MalformedBody(f"entry {index}'s time is out of range")
    try:
        _clean(record, index)
    except RecursionError:
        raise MalformedBody(f"entry {index} nests values too deeply") from None
    return Event(text, record)


def _clean(value: dict[Any, Any] | list[Any], index: int) -> None:
    """Make a record JSON-shaped in place: bin as text, EventTime as its ISO string.

    fluentd packs strings it holds as binary as msgpack bin; to the user they
    are text, and the search engine has no bytes. Other extension values have
    no JSON equivalent and are refused with the entry named.
    """
    if isinstance(value, list):
        for position, item in enumerate(value):
            value[position] = _cleaned(item, index)
        return
    for key in list(value):
        item = value[key]
        cleaned = _cleaned(item, index)
        if type(key) is bytes:
            del value[key]
            value[_text(key, index)] = cleaned
        elif cleaned is not item:
            value[key] = cleaned


def _cleaned(item: Any, index: int) -> Any:
    kind = type(item)
    if kind is dict or kind is list:
        _clean(item, index)
    elif kind is bytes or (kind is str and not item.isascii()):
        return _text(item, index)
    elif kind is EventTime:
        return parse_time(item)
    elif kind is msgpack.ExtType:
        raise MalformedBody(f"entry {index} holds a msgpack extension value ({item.code})")
    return item


def _text(data: str | bytes, index: int) -> str:
    """Text from bin, or from a str the stream decoded leniently (surrogateescape)."""
    try:
        return raw_bytes(data).decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedBody(f"entry {index} holds a string that is not UTF-8") from err


def _too_many(max_events: int) -> BodyTooLarge:
    return BodyTooLarge(f"the request holds more than {max_events} events, over the limit")
