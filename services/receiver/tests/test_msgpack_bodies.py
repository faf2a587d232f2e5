"""msgpack bodies as real agents send them (shared/reference/agent-payloads.md) become events.

fluentd's maps back to back and Fluent Bit's timed events (:mod:`barito_receiver.msgpack_body`).
"""

from __future__ import annotations

import re
from typing import Any

import msgpack
import pytest

from barito_common.chunk_codec import Event
from barito_receiver.body_formats import MSGPACK_TYPES, parse_events
from barito_receiver.decode_errors import InvalidEvent, MalformedBody
from barito_testing.agent_bodies import (
    FLUENT_BIT_MSGPACK,
    FLUENT_BIT_MSGPACK_EVENTS,
    FLUENTD_EVENTS,
    NOW,
    RECEIVED,
    T1,
)


def parse(body: bytes, content_type: str | None, **kwargs: Any) -> list[Event]:
    return parse_events(body, content_type, received_at=RECEIVED, **kwargs)


def test_fluentd_out_http_msgpack_maps_back_to_back() -> None:
    body = bytes.fromhex("82 a36d7367 a161 a16e 01 82 a36d7367 a162 a16e 02")
    assert parse(body, "application/x-msgpack") == FLUENTD_EVENTS


def test_fluent_bit_msgpack_takes_the_time_from_event_time_and_drops_metadata() -> None:
    assert parse(FLUENT_BIT_MSGPACK, "application/msgpack") == FLUENT_BIT_MSGPACK_EVENTS


def test_fluent_bit_msgpack_first_event_bytes_from_the_reference() -> None:
    body = bytes.fromhex("92 92 d7 00 65 53 f1 00 1d cd 65 00 80 81 a3 6c 6f 67 a1 61")
    assert parse(body, "application/msgpack") == [Event(T1, {"log": "a"})]


def test_fluent_bit_msgpack_before_2_1_without_metadata() -> None:
    body = bytes.fromhex(
        "92 d7 00 6553f100 1dcd6500 81 a36c6f67 a161 92 d7 00 6553f101 00000000 81 a36c6f67 a162"
    )
    assert parse(body, "application/msgpack") == FLUENT_BIT_MSGPACK_EVENTS


def test_fluent_bit_msgpack_with_metadata_and_a_plain_number_time() -> None:
    body = msgpack.packb([[1700000000.5, {"otel": {"trace": "x"}}], {"log": "a"}])
    assert parse(body, "application/msgpack") == [Event(T1, {"log": "a"})]


def test_fluent_bit_msgpack_time_wins_over_a_time_field_in_the_record() -> None:
    body = msgpack.packb([msgpack.ExtType(0, bytes.fromhex("6553f1001dcd6500")), {"time": 5}])
    assert parse(body, "application/msgpack") == [Event(T1, {"time": 5})]


@pytest.mark.parametrize("content_type", sorted(MSGPACK_TYPES))
def test_every_msgpack_alias_is_accepted(content_type: str) -> None:
    assert parse(FLUENT_BIT_MSGPACK, content_type) == FLUENT_BIT_MSGPACK_EVENTS


def test_a_top_level_msgpack_array_of_maps_is_several_events() -> None:
    body = msgpack.packb([{"msg": "a", "n": 1}, {"msg": "b", "n": 2}])
    assert parse(body, "application/msgpack") == FLUENTD_EVENTS


def test_an_event_time_inside_a_msgpack_record_becomes_its_iso_string() -> None:
    stamp = msgpack.ExtType(0, bytes.fromhex("6553f1001dcd6500"))
    body = msgpack.packb({"msg": "a", "seen": {"at": [stamp]}})
    assert parse(body, "application/msgpack") == [Event(NOW, {"msg": "a", "seen": {"at": [T1]}})]


@pytest.mark.parametrize(
    ("body", "index"),
    [
        (msgpack.packb({"a": 1}) + msgpack.packb({1: "x"}), 1),
        (msgpack.packb({"a": 1}) + msgpack.packb({"b": {"c": {2: "deep"}}}), 1),
        (msgpack.packb([{"a": 1}, {"b": 2}, {"c": [{3: 4}]}]), 2),
        (msgpack.packb({"a": 1}) + msgpack.packb([{"a": 1}, {b"ok": {5: 6}}]), 2),
    ],
)
def test_a_non_string_map_key_is_refused_naming_the_event(body: bytes, index: int) -> None:
    with pytest.raises(InvalidEvent, match="map key that is not a string") as caught:
        parse(body, "application/msgpack")
    assert caught.value.index == index


def test_truncated_msgpack_is_malformed() -> None:
    with pytest.raises(MalformedBody, match=r"truncated: the value at byte 20 \(event 1\)"):
        parse(FLUENT_BIT_MSGPACK[:-3], "application/msgpack")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xc1", "invalid type byte"),
        (
            msgpack.packb({"a": 1}) + b"\x81\xa1a\xa2\xff\xfe",
            "event 1 holds a string that is not valid UTF-8",
        ),
        (
            msgpack.packb({"a": msgpack.ExtType(5, b"xyz")}),
            "event 0 holds a msgpack extension value (type 5)",
        ),
        (b"\x91" * 2000 + b"\x80", "too deeply"),
        (b"\x81\xa1a" + b"\x91" * 1000 + b"\xd4\x05\x00", "event 0 nests values too deeply"),
    ],
)
def test_corrupt_msgpack_is_malformed(body: bytes, message: str) -> None:
    with pytest.raises(MalformedBody, match=re.escape(message)):
        parse(body, "application/msgpack")


def test_msgpack_binary_strings_become_text_and_non_text_binary_is_refused() -> None:
    body = msgpack.packb({b"host": b"web-1", "tags": [b"a", {"k": b"v"}]}, use_bin_type=True)
    (event,) = parse_events(body, "application/msgpack", received_at=RECEIVED)
    assert event.record == {"host": "web-1", "tags": ["a", {"k": "v"}]}
    bad = msgpack.packb({"ok": 1}) + msgpack.packb({"blob": b"\xff\xfe"}, use_bin_type=True)
    with pytest.raises(InvalidEvent, match="event 1 holds binary data that is not UTF-8"):
        parse_events(bad, "application/msgpack", received_at=RECEIVED)
