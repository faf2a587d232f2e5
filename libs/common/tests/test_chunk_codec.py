"""Unit tests of the log chunk codec: pure functions, no I/O."""

import math
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgpack
import pytest

from barito_common.chunk_codec import (
    CHUNK_VERSION,
    ChunkError,
    ChunkTooLarge,
    CorruptChunk,
    Event,
    EventTooLarge,
    decode_chunk,
    encode_chunk,
    encode_chunks,
    format_event_time,
)

TIME = "2024-01-02T03:04:05.123Z"


def make_events(count: int, *, seed: int = 0, max_message: int = 200) -> list[Event]:
    rng = random.Random(seed)
    return [
        Event(TIME, {"n": n, "message": "x" * rng.randint(0, max_message)}) for n in range(count)
    ]


def test_round_trip_preserves_unicode_nested_and_scalar_values() -> None:
    events = [
        Event(TIME, {"message": "héllo wörld — 日本語 🚀", "level": "info"}),
        Event(
            "2024-01-02T03:04:05.124Z",
            {
                "nested": {"deeper": {"list": [1, "two", 3.5, None, True, {"k": []}]}},
                "int": -(2**63),
                "big": 2**64 - 1,
                "float": 1e-300,
                "flags": [True, False],
                "none": None,
                "empty": {},
            },
        ),
        Event(TIME, {}),
    ]

    decoded = decode_chunk(encode_chunk(events))

    assert decoded == events
    assert all(isinstance(event, Event) for event in decoded)


@pytest.mark.parametrize("count", [0, 1, 15, 16, 65535, 65536])
def test_encoded_chunk_is_exactly_msgpack_of_version_and_events(count: int) -> None:
    # Counts straddle msgpack's 1-, 3- and 5-byte array headers, which the
    # codec writes itself instead of re-packing the whole chunk.
    events = [Event(TIME, {"n": n}) for n in range(count)]

    expected = msgpack.packb([CHUNK_VERSION, [[e.time, e.record] for e in events]])

    assert encode_chunk(events, max_bytes=len(expected)) == expected
    assert encode_chunks(events, max_bytes=len(expected)) == ([expected] if count else [])


def test_empty_chunk_encodes_and_decodes_but_no_events_give_no_chunks() -> None:
    assert decode_chunk(encode_chunk([])) == []
    assert encode_chunks([]) == []


def test_encode_chunk_over_max_bytes_raises_chunk_too_large_with_sizes() -> None:
    events = make_events(10)
    size = len(encode_chunk(events))

    with pytest.raises(ChunkTooLarge, match=rf"{size} bytes.*limit of {size - 1} bytes") as info:
        encode_chunk(events, max_bytes=size - 1)

    assert (info.value.size, info.value.max_bytes) == (size, size - 1)


@pytest.mark.parametrize("max_bytes", [300, 1000, 4096, 65536])
def test_split_keeps_every_chunk_within_cap_and_preserves_order_and_content(
    max_bytes: int,
) -> None:
    events = make_events(2000, seed=max_bytes)

    chunks = encode_chunks(events, max_bytes=max_bytes)

    assert all(len(chunk) <= max_bytes for chunk in chunks)
    assert [event for chunk in chunks for event in decode_chunk(chunk)] == events


@pytest.mark.parametrize(("count", "per_chunk"), [(100, 7), (100, 1), (40, 20), (17, 16)])
def test_split_with_cap_fitting_exactly_k_events_gives_ceil_n_over_k_chunks(
    count: int, per_chunk: int
) -> None:
    events = [Event(TIME, {"message": "same size"}) for _ in range(count)]
    cap = len(encode_chunk(events[:per_chunk]))

    chunks = encode_chunks(events, max_bytes=cap)

    assert len(chunks) == math.ceil(count / per_chunk)
    assert [len(decode_chunk(chunk)) for chunk in chunks[:-1]] == [per_chunk] * (len(chunks) - 1)


@pytest.mark.parametrize("seed", range(20))
def test_split_uses_the_fewest_chunks_possible(seed: int) -> None:
    events = make_events(60, seed=seed, max_message=120)
    max_bytes = random.Random(seed).randint(200, 1500)

    # Brute force over every contiguous split: fewest[i] = chunks for events[:i].
    fewest = [0] + [math.inf] * len(events)
    for end in range(1, len(events) + 1):
        for start in range(end):
            if len(encode_chunk(events[start:end], max_bytes=2**31)) <= max_bytes:
                fewest[end] = min(fewest[end], fewest[start] + 1)

    assert len(encode_chunks(events, max_bytes=max_bytes)) == fewest[-1]


def test_encode_chunks_reads_a_one_shot_iterable_once() -> None:
    events = make_events(500)

    chunks = encode_chunks(iter(events), max_bytes=2048)

    assert [event for chunk in chunks for event in decode_chunk(chunk)] == events


def test_single_oversized_event_raises_event_too_large_naming_its_index_and_size() -> None:
    events = [*make_events(3), Event(TIME, {"message": "x" * 5000}), *make_events(3)]
    size = len(msgpack.packb([TIME, events[3].record]))

    with pytest.raises(EventTooLarge, match=rf"event 3 encodes to {size} bytes") as info:
        encode_chunks(events, max_bytes=4096)

    assert (info.value.index, info.value.size, info.value.max_bytes) == (3, size, 4096)
    assert isinstance(info.value, ChunkError)


def test_event_that_fits_only_alone_gets_a_chunk_of_its_own() -> None:
    big = Event(TIME, {"message": "x" * 1000})
    cap = len(encode_chunk([big]))
    events = [Event(TIME, {"n": 1}), big, Event(TIME, {"n": 2})]

    chunks = encode_chunks(events, max_bytes=cap)

    assert [decode_chunk(chunk) for chunk in chunks] == [[events[0]], [big], [events[2]]]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (Event(TIME, {"at": datetime.now(UTC)}), r"event 1 cannot be encoded"),
        (Event(TIME, {"huge": 2**70}), r"event 1 cannot be encoded"),
        ((1700000000, {}), r"event 1 is not \(time: str, record: dict\): got \(int, dict\)"),
        (("only-time",), r"event 1 is not a \(time, record\) pair"),
    ],
)
def test_unencodable_event_raises_chunk_error_naming_it(event: Any, expected: str) -> None:
    events = [Event(TIME, {}), event]

    with pytest.raises(ChunkError, match=expected):
        encode_chunk(events)
    with pytest.raises(ChunkError, match=expected):
        encode_chunks(events)


def test_random_bytes_raise_corrupt_chunk_never_a_raw_msgpack_error() -> None:
    rng = random.Random(42)
    for _ in range(500):
        data = rng.randbytes(rng.randint(0, 64))
        with pytest.raises(CorruptChunk):
            decode_chunk(data)


VALID = encode_chunk(make_events(5))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", r"not valid msgpack \(truncated or corrupt\)"),
        (b"\xc1garbage", r"not msgpack: it contains an invalid type byte"),
        (VALID[:-7], r"not valid msgpack \(truncated or corrupt\)"),
        (VALID + b"\x00", r"trailing bytes"),
        (msgpack.packb({"version": 1}), r"not \[version, events\]: got map"),
        (msgpack.packb([1, [], "extra"]), r"not \[version, events\]: got array of 3"),
        (msgpack.packb([2, []]), r"unknown chunk version 2; this reader understands version 1"),
        (msgpack.packb(["1", []]), r"chunk version is not an int: got str"),
        (msgpack.packb([True, []]), r"chunk version is not an int: got bool"),
        (msgpack.packb([1, {"a": 1}]), r"chunk events are not an array: got map"),
        (
            msgpack.packb([1, [[TIME, {}], [5, {}]]]),
            r"event 1 is not \[time: str.*got \[int, map\]",
        ),
        (msgpack.packb([1, [[TIME, ["x"]]]]), r"event 0 is not .*got \[str, array of 1\]"),
        (msgpack.packb([1, [[TIME]]]), r"event 0 is not .*got array of 1"),
        (msgpack.packb([1, [None]]), r"event 0 is not .*got nil"),
        (msgpack.packb([1, [[TIME, {1: "int key"}]]]), r"int is not allowed for map key"),
        (b"\x92\x01\x91\x92\xa2\xff\xfe\x80", r"not UTF-8"),
    ],
    ids=[
        "empty",
        "invalid-type-byte",
        "truncated",
        "trailing-bytes",
        "map-not-array",
        "array-of-three",
        "unknown-version",
        "string-version",
        "bool-version",
        "events-not-array",
        "event-time-not-str",
        "event-record-not-map",
        "event-missing-record",
        "event-nil",
        "non-string-map-key",
        "invalid-utf8",
    ],
)
def test_malformed_chunk_raises_corrupt_chunk_saying_what_is_wrong(
    data: bytes, expected: str
) -> None:
    with pytest.raises(CorruptChunk, match=expected):
        decode_chunk(data)


def test_corrupt_chunk_message_does_not_echo_log_content() -> None:
    data = msgpack.packb([1, [["secret-token-123", "also-secret"]]])

    with pytest.raises(CorruptChunk) as info:
        decode_chunk(data)

    assert "secret" not in str(info.value)


def test_chunk_errors_are_value_errors() -> None:
    for error in (CorruptChunk, ChunkTooLarge, EventTooLarge):
        assert issubclass(error, ChunkError)
    assert issubclass(ChunkError, ValueError)


def test_event_time_is_rendered_in_utc_with_milliseconds() -> None:
    jakarta = timezone(timedelta(hours=7))
    moment = datetime(2024, 1, 2, 10, 4, 5, 123987, tzinfo=jakarta)

    assert format_event_time(moment) == "2024-01-02T03:04:05.123Z"
    assert format_event_time(datetime(2024, 1, 2, tzinfo=UTC)) == "2024-01-02T00:00:00.000Z"


def test_naive_event_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_event_time(datetime(2024, 1, 2))
