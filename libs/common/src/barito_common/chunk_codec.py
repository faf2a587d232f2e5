"""The log chunk codec: one Kafka record on ``barito.logs.<slug>`` is one chunk.

A chunk is msgpack of ``[version, [[time, record], ...]]``: ``version`` is
:data:`CHUNK_VERSION`, ``time`` the event's timestamp as an ISO-8601 UTC string
with milliseconds (``"2024-01-02T03:04:05.123Z"``, see :func:`format_event_time`)
and ``record`` a map with string keys.

    >>> events = [Event("2024-01-02T03:04:05.123Z", {"message": "hello"})]
    >>> decode_chunk(encode_chunk(events)) == events
    True
    >>> len(encode_chunks(events * 10_000, max_bytes=64 * 1024))
    7

Records hold what JSON holds: maps with string keys (at every level), arrays,
strings, ints, floats, bools and None; bytes survive too. Anything else makes
encoding fail with :class:`ChunkError`.

Exceptions::

    ValueError
    └── ChunkError            anything this module refuses
        ├── CorruptChunk      decode_chunk: bytes that are not a valid chunk
        ├── ChunkTooLarge     encode_chunk: the events do not fit in max_bytes
        └── EventTooLarge     encode_chunks: one event alone does not fit
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import accumulate
from operator import itemgetter
from typing import Any, NamedTuple

import msgpack
import msgspec

__all__ = [
    "CHUNK_VERSION",
    "DEFAULT_MAX_CHUNK_BYTES",
    "REQUEST_ID_HEADER",
    "ChunkError",
    "ChunkTooLarge",
    "CorruptChunk",
    "Event",
    "EventTooLarge",
    "decode_chunk",
    "encode_chunk",
    "encode_chunks",
    "format_event_time",
    "request_id_headers",
]

CHUNK_VERSION = 1
DEFAULT_MAX_CHUNK_BYTES = 1024 * 1024

REQUEST_ID_HEADER = "barito-request-id"
"""Kafka record header of a chunk whose client named its request (an idempotency key).

Its value is ``<request id>/<n>``: the receiver's id of the request (the key and
the body it came with) and the chunk's place among the request's chunks. The
flow derives the chunk's document ids from it instead of from the content, so
the same request sent again is indexed once even when its events were stamped
on receipt and so differ between the attempts.
"""


def request_id_headers(request_id: str, n: int) -> list[tuple[str, bytes]]:
    """The record headers of chunk ``n`` of the request ``request_id``.

    >>> request_id_headers("hNN2GT1uuAoWdlRe", 1)
    [('barito-request-id', b'hNN2GT1uuAoWdlRe/1')]
    """
    return [(REQUEST_ID_HEADER, f"{request_id}/{n}".encode("ascii"))]


# A chunk is the 2-element array header, the packed version, an array header
# for the events and the events packed back to back. Building it from these
# pieces is byte-for-byte what msgpack.packb would produce for the whole
# structure, and lets encode_chunks pack every event exactly once.
_CHUNK_PREFIX = b"\x92" + msgpack.packb(CHUNK_VERSION)


class Event(NamedTuple):
    """One log event: its UTC timestamp string and its record."""

    time: str
    record: dict[str, Any]


class ChunkError(ValueError):
    """Base of every error this module raises."""


class CorruptChunk(ChunkError):
    """The bytes are not a chunk this reader understands."""


class ChunkTooLarge(ChunkError):
    """The encoded chunk would exceed ``max_bytes``."""

    def __init__(self, size: int, max_bytes: int) -> None:
        super().__init__(f"chunk encodes to {size} bytes, over the limit of {max_bytes} bytes")
        self.size = size
        self.max_bytes = max_bytes


class EventTooLarge(ChunkError):
    """One event cannot fit in a chunk of ``max_bytes`` even on its own."""

    def __init__(self, index: int, size: int, max_bytes: int) -> None:
        super().__init__(
            f"event {index} encodes to {size} bytes and cannot fit in a chunk of at most "
            f"{max_bytes} bytes, even alone"
        )
        self.index = index
        self.size = size
        self.max_bytes = max_bytes


def format_event_time(moment: datetime) -> str:
    """Render an aware datetime as a chunk's event time, e.g. ``2024-01-02T03:04:05.123Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("event time must be timezone-aware; a naive datetime is ambiguous")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode_chunk(events: Sequence[Event], *, max_bytes: int = DEFAULT_MAX_CHUNK_BYTES) -> bytes:
    """Encode ``events`` as one chunk; raise :class:`ChunkTooLarge` past ``max_bytes``.

    An empty sequence is a valid (empty) chunk.
    """
    packer = msgpack.Packer()
    packed = [_pack_event(packer, index, event) for index, event in enumerate(events)]
    size = _chunk_size(len(packed), sum(map(len, packed)))
    if size > max_bytes:
        raise ChunkTooLarge(size, max_bytes)
    return _assemble(packed)


def encode_chunks(
    events: Iterable[Event],
    *,
    max_bytes: int = DEFAULT_MAX_CHUNK_BYTES,
    json_records: bool = False,
) -> list[bytes]:
    """Split ``events`` into as few chunks as possible, in order, each at most ``max_bytes``.

    No events give no chunks. An event that cannot fit in a chunk on its own
    raises :class:`EventTooLarge` naming its index.

    ``json_records`` promises that every event is an ``Event`` of a str time
    and a dict record holding nothing but what a JSON decoder returns (dict
    with str keys, list, str, int, float, bool, None), as the receiver's
    events dated from ``orjson.loads`` records are; they are then packed by a
    faster encoder into the same bytes, without checking their shape again.
    Other values it would pack where msgpack refuses them (datetime, set) or
    differently (a NamedTuple such as ``msgpack.ExtType``), so without the
    promise msgpack packs them.
    """
    batch = events if isinstance(events, Sequence) else list(events)
    if not batch:
        return []
    if json_records or _well_formed(batch):
        # Most requests fit in one chunk, and one C-level pack of the whole
        # chunk costs a fraction of packing event by event in Python.
        whole = _pack_whole(batch, json_records)
        if whole is not None and len(whole) <= max_bytes:
            return [whole]
        # A body over the cap (agents flush buffers of several MiB) is packed
        # event by event, still by C-level calls, and cut where the sizes say.
        packed = _pack_each(batch, json_records)
        if packed is not None:
            return _fill(packed, max_bytes)
    # An event msgpack refuses: packed one by one in Python to name it.
    packer = msgpack.Packer()
    return _fill(
        [_pack_event(packer, index, event) for index, event in enumerate(batch)], max_bytes
    )


def decode_chunk(data: bytes) -> list[Event]:
    """Decode one chunk; raise :class:`CorruptChunk` saying what is wrong with it."""
    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except msgpack.ExtraData as err:
        raise CorruptChunk("chunk has trailing bytes after its msgpack value") from err
    except msgpack.FormatError as err:
        raise CorruptChunk("chunk is not msgpack: it contains an invalid type byte") from err
    except msgpack.StackError as err:
        raise CorruptChunk("chunk nests values too deeply to decode") from err
    except UnicodeDecodeError as err:
        raise CorruptChunk("chunk is not valid: a string in it is not UTF-8") from err
    except (ValueError, TypeError, msgpack.UnpackException) as err:
        raise CorruptChunk(f"chunk is not valid msgpack (truncated or corrupt): {err}") from err

    if not isinstance(value, list) or len(value) != 2:
        raise CorruptChunk(f"chunk is not [version, events]: got {_describe(value)}")
    version, raw_events = value
    # bool is an int subclass and True == 1, so compare the exact type.
    if type(version) is not int:
        raise CorruptChunk(f"chunk version is not an int: got {_describe(version)}")
    if version != CHUNK_VERSION:
        raise CorruptChunk(
            f"unknown chunk version {version}; this reader understands version {CHUNK_VERSION}"
        )
    if not isinstance(raw_events, list):
        raise CorruptChunk(f"chunk events are not an array: got {_describe(raw_events)}")

    events: list[Event] = []
    for index, raw in enumerate(raw_events):
        if (
            not isinstance(raw, list)
            or len(raw) != 2
            or not isinstance(raw[0], str)
            or not isinstance(raw[1], dict)
        ):
            got = (
                f"[{_describe(raw[0])}, {_describe(raw[1])}]"
                if isinstance(raw, list) and len(raw) == 2
                else _describe(raw)
            )
            raise CorruptChunk(f"event {index} is not [time: str, record: map]: got {got}")
        events.append(Event(raw[0], raw[1]))
    return events


def _well_formed(events: Sequence[Event]) -> bool:
    """Whether every item is an ``Event`` of a str time and a dict record, as
    ``_pack_event`` checks; C-level passes first, a loop only for subclasses."""
    if (
        set(map(type, events)) == {Event}
        and set(map(type, map(_time_of, events))) == {str}
        and set(map(type, map(_record_of, events))) == {dict}
    ):
        return True
    return all(
        type(event) is Event and isinstance(event.time, str) and isinstance(event.record, dict)
        for event in events
    )


def _pack_whole(events: Sequence[Event], json_records: bool) -> bytes | None:
    """The whole chunk in one pack, or None when an event needs the checked path."""
    try:
        if json_records:
            return _encode_json_chunk((CHUNK_VERSION, events))
        return msgpack.packb([CHUNK_VERSION, events])  # type: ignore[no-any-return]
    except (TypeError, ValueError, OverflowError, RecursionError):
        # msgspec nests as deep as Python's recursion limit allows, less than
        # the 1,024 levels msgpack packs, so a record it refuses (or any other
        # failure) gets msgpack's verdict on the per-event path, which names it.
        return None


def _pack_each(events: Sequence[Event], json_records: bool) -> list[bytes] | None:
    """Each event packed on its own, or None when one needs the checked path."""
    try:
        if json_records:
            return list(map(_encode_json_chunk, events))
        return list(map(msgpack.Packer().pack, events))
    except (TypeError, ValueError, OverflowError, RecursionError):
        return None


def _fill(packed: list[bytes], max_bytes: int) -> list[bytes]:
    """Packed events into as few chunks of at most ``max_bytes`` as possible, in order.

    Greedy filling is optimal here: a chunk's size only grows as events are
    added, so closing a chunk any earlier can never save a later one. Each
    chunk's end is found by bisecting the running total of sizes, so a body
    costs a few Python steps per chunk, not per event.
    """
    sizes = list(map(len, packed))
    if _chunk_size(1, max(sizes)) > max_bytes:
        index = next(i for i, size in enumerate(sizes) if _chunk_size(1, size) > max_bytes)
        raise EventTooLarge(index, sizes[index], max_bytes)
    totals = list(accumulate(sizes, initial=0))  # totals[i]: the first i events' bytes
    widest_header = _array_header_size(len(packed))
    room = max_bytes - len(_CHUNK_PREFIX) - widest_header
    chunks: list[bytes] = []
    start = 0
    while start < len(packed):
        # The last end that fits under the widest header, then any more that
        # fit under the chunk's own (narrower) one.
        end = max(start + 1, bisect_right(totals, totals[start] + room, lo=start + 1) - 1)
        while end < len(packed) and (
            _chunk_size(end + 1 - start, totals[end + 1] - totals[start]) <= max_bytes
        ):
            end += 1
        chunks.append(_assemble(packed[start:end]))
        start = end
    return chunks


_time_of = itemgetter(0)
_record_of = itemgetter(1)
# msgspec packs str, int, float, bool, None, list, tuple and dict exactly as
# msgpack.packb does (smallest int and str forms, float64), and an Event, a
# NamedTuple, as the array it is.
_encode_json_chunk = msgspec.msgpack.Encoder().encode


def _pack_event(packer: msgpack.Packer, index: int, event: Event) -> bytes:
    try:
        time, record = event
    except (TypeError, ValueError) as err:
        raise ChunkError(f"event {index} is not a (time, record) pair") from err
    if not isinstance(time, str) or not isinstance(record, dict):
        raise ChunkError(
            f"event {index} is not (time: str, record: dict): "
            f"got ({type(time).__name__}, {type(record).__name__})"
        )
    try:
        packed: bytes = packer.pack((time, record))
    except (TypeError, ValueError, OverflowError) as err:
        # ValueError covers unencodable strings and too-deep nesting,
        # OverflowError ints beyond 64 bits.
        raise ChunkError(f"event {index} cannot be encoded: {err}") from err
    return packed


def _array_header(count: int) -> bytes:
    if count <= 0x0F:
        return bytes((0x90 | count,))
    if count <= 0xFFFF:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


def _array_header_size(count: int) -> int:
    return 1 if count <= 0x0F else 3 if count <= 0xFFFF else 5


def _chunk_size(count: int, payload: int) -> int:
    return len(_CHUNK_PREFIX) + _array_header_size(count) + payload


def _assemble(packed: list[bytes]) -> bytes:
    return b"".join((_CHUNK_PREFIX, _array_header(len(packed)), *packed))


def _describe(value: object) -> str:
    # Names the msgpack shape only: the content may be someone's log data.
    if isinstance(value, list):
        return f"array of {len(value)}"
    if isinstance(value, dict):
        return "map"
    if value is None:
        return "nil"
    return type(value).__name__
