"""``encode_chunks(..., json_records=True)``: the same chunks, packed by a faster encoder."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from barito_common.chunk_codec import ChunkError, Event, decode_chunk, encode_chunk, encode_chunks

TIME = "2024-01-02T03:04:05.123Z"

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)
_records = st.lists(st.dictionaries(st.text(max_size=8), _json_values, max_size=6), max_size=40)


@given(_records, st.sampled_from([64, 300, 4096, 1024 * 1024]))
def test_json_records_give_the_very_bytes_msgpack_gives(
    records: list[dict[str, Any]], max_bytes: int
) -> None:
    events = [Event(TIME, record) for record in records]
    try:
        expected = encode_chunks(events, max_bytes=max_bytes)
    except ChunkError as err:
        with pytest.raises(type(err), match="^" + re.escape(str(err)) + "$"):
            encode_chunks(events, max_bytes=max_bytes, json_records=True)
        return
    assert encode_chunks(events, max_bytes=max_bytes, json_records=True) == expected


def test_records_read_by_orjson_round_trip_through_the_chunk() -> None:
    body = b'{"msg":"h\\u00e9llo \\ud83d\\ude00","n":18446744073709551615,"m":-9223372036854775808}'
    record = orjson.loads(body)
    (chunk,) = encode_chunks([Event(TIME, record)], json_records=True)
    assert decode_chunk(chunk) == [Event(TIME, record)]
    assert chunk == encode_chunks([Event(TIME, record)])[0]


@pytest.mark.parametrize("depth", [900, 1000, 1021, 1022])
def test_deeply_nested_record_gets_msgpacks_verdict(depth: int) -> None:
    record = {"a": orjson.loads(b"[" * depth + b"]" * depth)}
    events = [Event(TIME, record)]
    try:
        expected = encode_chunks(events)
    except ChunkError as err:
        with pytest.raises(ChunkError, match="cannot be encoded"):
            encode_chunks(events, json_records=True)
        assert "cannot be encoded" in str(err)
        return
    assert encode_chunks(events, json_records=True) == expected


def _greedy_reference(events: list[Event], max_bytes: int) -> list[bytes]:
    """Each chunk as long as ``encode_chunk`` lets it be, event by event."""
    chunks: list[bytes] = []
    start = 0
    while start < len(events):
        end = start + 1
        while end < len(events) and len(encode_chunk(events[start : end + 1], max_bytes=2**31)) <= (
            max_bytes
        ):
            end += 1
        chunks.append(encode_chunk(events[start:end]))
        start = end
    return chunks


@given(
    st.lists(st.dictionaries(st.text(max_size=8), _json_values, max_size=6), max_size=200),
    st.integers(min_value=400, max_value=5000),
)
def test_a_body_over_the_cap_is_cut_where_filling_event_by_event_cuts_it(
    records: list[dict[str, Any]], max_bytes: int
) -> None:
    events = [Event(TIME, record) for record in records]
    try:
        expected = _greedy_reference(events, max_bytes)
    except ChunkError:
        return  # a record msgpack refuses, or one over the cap alone: tested above
    if any(len(chunk) > max_bytes for chunk in expected):
        return  # one event alone is over the cap: EventTooLarge, tested elsewhere
    assert encode_chunks(events, max_bytes=max_bytes, json_records=True) == expected
    assert encode_chunks(events, max_bytes=max_bytes) == expected
