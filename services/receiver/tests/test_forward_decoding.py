"""The forward protocol's requests decoded from the bytes real clients send (no engine).

The byte strings are the reference's (shared/reference/ingest-protocols.md §1)
and what fluentd, Fluent Bit and the loggers are documented to send.
"""

from __future__ import annotations

import gzip
import struct
from typing import Any

import msgpack
import pytest

from barito_common.chunk_codec import Event
from barito_receiver.decode_errors import BodyTooLarge, MalformedBody, UnsupportedEncoding
from barito_receiver.event_time import EventTime
from barito_receiver.forward.apps import split_tag
from barito_receiver.forward.connection import ack
from barito_receiver.forward.requests import ForwardRequest, decode_request, stream_unpacker

LIMITS: dict[str, Any] = {"max_events": 100, "max_bytes": 1024 * 1024, "max_ratio": 200.0}
HALF_PAST = "2023-11-14T22:13:20.500Z"
ON_THE_SECOND = "2023-11-14T22:13:20.000Z"
EVENT_TIME = bytes.fromhex("d7 00 65 53 f1 00 1d cd 65 00")  # fixext8: 1700000000.5


def values(stream: bytes, max_bytes: int = 1024 * 1024) -> list[Any]:
    unpacker = stream_unpacker(max_bytes)
    unpacker.feed(stream)
    return list(unpacker)


def request(stream: bytes) -> ForwardRequest:
    (value,) = values(stream)
    return decode_request(value, **LIMITS)


def test_fluent_logger_python_message_mode_from_the_references_bytes() -> None:
    decoded = request(bytes.fromhex("93 a5 61 70 70 2e 78 ce 65 53 f1 00 81 a3 6d 73 67 a1 61"))
    assert decoded.tag == "app.x"
    assert decoded.events == [Event(ON_THE_SECOND, {"msg": "a"})]
    assert decoded.chunk is None


def test_fluent_bit_forward_mode_with_metadata_and_no_option_from_the_references_bytes() -> None:
    stream = bytes.fromhex(
        "92 a3 61 70 70 91 92 92 d7 00 65 53 f1 00 1d cd 65 00 80 81 a3 6c 6f 67 a1 61"
    )
    decoded = request(stream)
    assert decoded.tag == "app"
    assert decoded.events == [Event(HALF_PAST, {"log": "a"})]


def test_event_time_as_ext8_reads_like_fixext8() -> None:
    ext8 = bytes.fromhex("c7 08 00 65 53 f1 00 1d cd 65 00")
    message = b"\x93\xa3app" + ext8 + b"\x81\xa1k\xa1v"
    assert request(message).events == [Event(HALF_PAST, {"k": "v"})]
    fixext8 = b"\x93\xa3app" + EVENT_TIME + b"\x81\xa1k\xa1v"
    assert request(fixext8).events == request(message).events


def test_golang_message_mode_has_four_elements_and_an_empty_or_chunk_option() -> None:
    empty = msgpack.packb(["t", 1700000000, {"a": 1}, {}])
    assert request(empty).chunk is None
    chunk = "AAAAAAAAAAAAAAAAAAAAAA=="
    acked = msgpack.packb(["t", 1700000000, {"a": 1}, {"chunk": chunk}])
    assert request(acked).chunk == chunk


def _entries(*times: bytes) -> bytes:
    return b"".join(b"\x92" + time + msgpack.packb({"n": n}) for n, time in enumerate(times))


def test_packed_forward_as_bin_and_as_fluentds_str32_holding_binary() -> None:
    entries = _entries(EVENT_TIME, msgpack.packb(1700000000))
    expected = [Event(HALF_PAST, {"n": 0}), Event(ON_THE_SECOND, {"n": 1})]
    as_bin = msgpack.packb(["t", entries, {"size": 2}], use_bin_type=True)
    assert request(as_bin).events == expected
    # fluentd: str32 (db) whose bytes (an EventTime's d7 00 ...) are not UTF-8.
    as_str = b"\x93\xa1t\xdb" + struct.pack(">I", len(entries)) + entries
    as_str += msgpack.packb({"size": 2, "compressed": "text"})
    assert request(as_str).events == expected


def test_compressed_packed_forward_with_several_gzip_members() -> None:
    first, second = _entries(EVENT_TIME), _entries(EVENT_TIME, EVENT_TIME)
    body = gzip.compress(first) + gzip.compress(second)
    stream = msgpack.packb(["t", body, {"compressed": "gzip", "size": 3}], use_bin_type=True)
    decoded = request(stream)
    assert [e.record["n"] for e in decoded.events] == [0, 0, 1]
    assert decoded.size == len(first) + len(second)


def test_a_gzip_bomb_is_refused_as_too_large() -> None:
    bomb = gzip.compress(b"\x00" * (20 * 1024 * 1024), compresslevel=9)
    (value,) = values(msgpack.packb(["t", bomb, {"compressed": "gzip"}], use_bin_type=True))
    with pytest.raises(BodyTooLarge, match=r"expands more than 200 times|over the limit"):
        decode_request(value, **LIMITS)


def test_an_unknown_compression_is_refused_by_name() -> None:
    (value,) = values(msgpack.packb(["t", b"x", {"compressed": "lz4"}], use_bin_type=True))
    with pytest.raises(UnsupportedEncoding, match="lz4"):
        decode_request(value, **LIMITS)


def test_fluent_bit_metrics_and_traces_are_dropped_not_decoded_but_still_acked() -> None:
    option = {"fluent_signal": 1, "chunk": "c"}
    metrics = msgpack.packb(["t", b"\xc1cmetrics", option], use_bin_type=True)
    dropped = request(metrics)
    assert dropped.events == []
    assert dropped.chunk == "c"


def test_a_value_over_the_buffer_limit_is_refused_before_it_is_held() -> None:
    unpacker = stream_unpacker(1024)
    with pytest.raises(msgpack.BufferFull):
        unpacker.feed(msgpack.packb(["t", 1700000000, {"m": "x" * 2000}]))


def test_more_events_than_the_limit_are_refused_in_every_mode() -> None:
    many = [[1700000000, {"n": n}] for n in range(101)]
    (forward,) = values(msgpack.packb(["t", many]))
    with pytest.raises(BodyTooLarge, match="more than 100 events"):
        decode_request(forward, **LIMITS)
    packed = b"".join(msgpack.packb(entry) for entry in many)
    (packed_forward,) = values(msgpack.packb(["t", packed], use_bin_type=True))
    with pytest.raises(BodyTooLarge, match="more than 100 events"):
        decode_request(packed_forward, **LIMITS)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (["t"], "2 to 4 elements"),
        ([1, 1700000000, {}], "tag"),
        (["t", 1700000000, "not a map"], "record"),
        (["t", "now", {}], "PackedForward"),  # a str in slot 2 is packed entries: not msgpack
        (["t", [[1700000000, {}], ["x", {}]]], "entry 1's time"),
        (["t", [[1700000000]]], "entry 0 is not"),
        (["t", 1700000000, {}, "option"], "option"),
        (["t", 1700000000, {}, {"chunk": 1}], "chunk"),
        (["t", 1700000000, {"e": msgpack.ExtType(5, b"x")}, {}], "extension"),
    ],
)
def test_malformed_requests_are_refused_naming_what_is_wrong(value: Any, reason: str) -> None:
    (decoded,) = values(msgpack.packb(value, use_bin_type=True))
    with pytest.raises(MalformedBody) as refused:
        decode_request(decoded, **LIMITS)
    if reason != "PackedForward":
        assert reason in str(refused.value)


def test_bin_strings_become_text_and_event_times_in_records_iso_strings() -> None:
    record = {b"k": b"v", "nested": [b"x", {"at": msgpack.ExtType(0, EVENT_TIME[2:])}]}
    decoded = request(msgpack.packb(["t", 1700000000, record], use_bin_type=True))
    assert decoded.events[0].record == {"k": "v", "nested": ["x", {"at": HALF_PAST}]}


def test_binary_that_is_not_utf8_text_is_refused() -> None:
    (value,) = values(msgpack.packb(["t", 1700000000, {"k": b"\xff\xfe"}], use_bin_type=True))
    with pytest.raises(MalformedBody, match="not UTF-8"):
        decode_request(value, **LIMITS)


def test_requests_arrive_back_to_back_and_split_across_reads_with_heartbeats() -> None:
    stream = (
        b"\xc0"
        + msgpack.packb(["a", 1700000000, {"n": 1}])
        + b"\xc0"
        + msgpack.packb(["b", [[1700000000, {"n": 2}]]])
    )
    unpacker = stream_unpacker(1024)
    got: list[Any] = []
    for byte in stream:
        unpacker.feed(bytes([byte]))
        got.extend(unpacker)
    assert [value for value in got if value is not None] == [
        ["a", 1700000000, {"n": 1}],
        ["b", [[1700000000, {"n": 2}]]],
    ]
    assert got.count(None) == 2


def test_the_ack_echoes_the_chunk_byte_for_byte_as_a_msgpack_str() -> None:
    chunk = "p8n9gmxTQVC8/nh2wlKKeQ==\n"  # fluentd: Base64.encode64, with its newline
    assert ack(chunk) == b"\x81\xa3ack\xb9" + chunk.encode()
    # Sent as bin, echoed as bin; a str holding raw bytes is echoed as those bytes.
    assert ack(b"\x01\x02") == b"\x81\xa3ack\xc4\x02\x01\x02"
    (odd,) = values(msgpack.packb(["t", 1, {}, {"chunk": "x"}])[:0] + b"\xa2\xff\xfe")
    assert ack(odd) == b"\x81\xa3ack\xa2\xff\xfe"


def test_the_reference_ack_shape_for_a_24_character_id() -> None:
    chunk = "A" * 24
    assert ack(chunk).hex(" ").startswith("81 a3 61 63 6b b8")


def test_the_tags_first_label_is_the_secret_and_the_rest_is_kept() -> None:
    assert split_tag("secret.app.web") == ("secret", "app.web")
    assert split_tag("secret") == ("secret", "")


def test_int_times_in_seconds_and_event_time_objects_are_both_times() -> None:
    assert EventTime.from_ext(EVENT_TIME[2:]) == EventTime(1700000000, 500_000_000)
