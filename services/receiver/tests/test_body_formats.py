"""Bodies as real agents send them (docs: shared/reference/agent-payloads.md) become events."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import msgpack
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from barito_common.chunk_codec import Event, encode_chunk
from barito_receiver.body_formats import (
    JSON_TYPES,
    MSGPACK_TYPES,
    NDJSON_TYPES,
    parse_events,
)
from barito_receiver.decode_errors import (
    BodyError,
    BodyTooLarge,
    InvalidEvent,
    MalformedBody,
    UnsupportedMediaType,
)

RECEIVED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
NOW = "2024-05-06T07:08:09.000Z"
T1 = "2023-11-14T22:13:20.500Z"  # Fluent Bit's first example event, t=1700000000.5
T2 = "2023-11-14T22:13:21.000Z"  # and its second, t=1700000001

FLUENTD_EVENTS = [Event(NOW, {"msg": "a", "n": 1}), Event(NOW, {"msg": "b", "n": 2})]
FLUENT_BIT_RECORDS = [{"date": 1700000000.5, "log": "a"}, {"date": 1700000001.0, "log": "b"}]
FLUENT_BIT_EVENTS = [Event(T1, FLUENT_BIT_RECORDS[0]), Event(T2, FLUENT_BIT_RECORDS[1])]
# Fluent Bit 2.1+ msgpack events: [[EventTime, {metadata}], {record}].
FLUENT_BIT_MSGPACK = bytes.fromhex(
    "92 92 d7 00 6553f100 1dcd6500 80 81 a3 6c6f67 a1 61"
    "92 92 d7 00 6553f101 00000000 80 81 a3 6c6f67 a1 62"
)
FLUENT_BIT_MSGPACK_EVENTS = [Event(T1, {"log": "a"}), Event(T2, {"log": "b"})]
BARITO_BATCH = (
    b'{"items":[{"tag":"barito","@message":"hello","@timestamp":"2025-07-29T10:00:00Z",'
    b'"client_trail":{"is_k8s":false,"sent_at":"2025-07-29T10:00:00Z","hints":[],'
    b'"hostname":"vm-1"}}]}'
)


def parse(body: bytes, content_type: str | None, **kwargs: Any) -> list[Event]:
    return parse_events(body, content_type, received_at=RECEIVED, **kwargs)


# --- what the agents send -----------------------------------------------------------


def test_fluentd_out_http_json_lines() -> None:
    body = b'{"msg":"a","n":1}\n{"msg":"b","n":2}\n'
    assert parse(body, "application/x-ndjson") == FLUENTD_EVENTS


def test_fluentd_out_http_json_array_with_newlines_inside() -> None:
    body = b'[{"msg":"a","n":1}\n,{"msg":"b","n":2}\n]'
    assert parse(body, "application/json") == FLUENTD_EVENTS


def test_fluentd_out_http_msgpack_maps_back_to_back() -> None:
    body = bytes.fromhex("82 a36d7367 a161 a16e 01 82 a36d7367 a162 a16e 02")
    assert parse(body, "application/x-msgpack") == FLUENTD_EVENTS


def test_fluentd_out_http_single_value_text_is_an_unsupported_media_type() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        parse(b"a\nb\n", "text/plain")
    assert caught.value.status == 415
    message = str(caught.value)
    assert "'text/plain' is not supported" in message
    assert "application/json" in message and "application/x-ndjson" in message
    assert "application/msgpack" in message


def test_fluent_bit_json_array() -> None:
    body = b'[{"date":1700000000.5,"log":"a"},{"date":1700000001.0,"log":"b"}]'
    assert parse(body, "application/json") == FLUENT_BIT_EVENTS


@pytest.mark.parametrize("content_type", ["application/x-ndjson", "application/json"])
def test_fluent_bit_json_lines_under_either_content_type(content_type: str) -> None:
    body = b'{"date":1700000000.5,"log":"a"}\n{"date":1700000001.0,"log":"b"}\n'
    assert parse(body, content_type) == FLUENT_BIT_EVENTS


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
def test_fluent_bit_json_stream_objects_without_separator(content_type: str) -> None:
    body = b'{"date":1700000000.5,"log":"a"}{"date":1700000001.0,"log":"b"}'
    assert parse(body, content_type) == FLUENT_BIT_EVENTS


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


def test_original_barito_batch_is_unwrapped_to_its_items() -> None:
    events = parse(BARITO_BATCH, "application/json")
    assert events == [Event("2025-07-29T10:00:00.000Z", orjson.loads(BARITO_BATCH)["items"][0])]


def test_original_barito_single_event() -> None:
    body = b'{"tag":"barito","@message":"hello","@timestamp":"2025-07-29T10:00:00Z"}'
    assert parse(body, "application/json") == [
        Event("2025-07-29T10:00:00.000Z", orjson.loads(body))
    ]


def test_an_object_with_items_and_other_keys_is_one_event() -> None:
    body = b'{"items":[1,2],"msg":"a list of items is just a field here"}'
    assert parse(body, "application/json") == [Event(NOW, orjson.loads(body))]


def test_vector_json_array_and_newline_delimited_without_trailing_newline() -> None:
    records = [{"message": "a", "timestamp": "2023-11-14T22:13:20.500123456Z"}, {"message": "b"}]
    expected = [Event(T1, records[0]), Event(NOW, records[1])]
    assert parse(orjson.dumps(records), "application/json") == expected
    body = b"\n".join(orjson.dumps(record) for record in records)
    assert parse(body, "application/x-ndjson") == expected


def test_logstash_json_batch() -> None:
    body = (
        b'[{"@timestamp":"2023-11-14T22:13:20.500Z","@version":"1","message":"a"},'
        b'{"@timestamp":"2023-11-14T22:13:21.000Z","@version":"1","message":"b"}]'
    )
    assert [event.time for event in parse(body, "application/json")] == [T1, T2]


@pytest.mark.parametrize("content_type", sorted(NDJSON_TYPES))
def test_every_ndjson_alias_reads_one_object_per_line(content_type: str) -> None:
    body = b'{"msg":"a","n":1}\r\n\n  \n{"msg":"b","n":2}'
    assert parse(body, content_type) == FLUENTD_EVENTS


def test_records_are_kept_exactly_as_sent() -> None:
    record = {"date": 1700000000.5, "nested": {"list": [1, 2.5, None, True, "x"]}, "é": "ü"}
    (event,) = parse(orjson.dumps(record), "application/json")
    assert event.record == record
    assert list(event.record) == ["date", "nested", "é"]


def test_a_close_brace_and_open_brace_inside_a_string_does_not_split_events() -> None:
    body = b'{"log":"}{"}{"log":"a}{b","x":{"y":1}}'
    assert [event.record for event in parse(body, "application/json")] == [
        {"log": "}{"},
        {"log": "a}{b", "x": {"y": 1}},
    ]


def test_pretty_printed_objects_one_after_another() -> None:
    body = b'{\n  "msg": "a",\n  "n": 1\n}\n\t{\n  "msg": "b",\n  "n": 2\n} '
    assert parse(body, "application/json") == FLUENTD_EVENTS


# --- content types and sniffing -----------------------------------------------------


@pytest.mark.parametrize("content_type", [None, "", "application/octet-stream"])
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'[{"msg":"a","n":1},{"msg":"b","n":2}]', FLUENTD_EVENTS),
        (b'\n  {"msg":"a","n":1}\n{"msg":"b","n":2}\n', FLUENTD_EVENTS),
        (b'{"msg":"a","n":1}{"msg":"b","n":2}', FLUENTD_EVENTS),
        (bytes.fromhex("82a36d7367a161a16e0182a36d7367a162a16e02"), FLUENTD_EVENTS),
        (FLUENT_BIT_MSGPACK, FLUENT_BIT_MSGPACK_EVENTS),
    ],
)
def test_the_format_is_sniffed_without_a_content_type(
    content_type: str | None, body: bytes, expected: list[Event]
) -> None:
    assert parse(body, content_type) == expected


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "Application/JSON",
        "APPLICATION/JSON ; charset=UTF-8",
        " application/json",
    ],
)
def test_content_type_parameters_and_case_are_ignored(content_type: str) -> None:
    assert parse(b'[{"msg":"a","n":1},{"msg":"b","n":2}]', content_type) == FLUENTD_EVENTS


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


# --- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'{"msg":"a",}', "application/json", "body is not valid JSON at byte 11"),
        (b'{"msg":"a"}\n{"msg":', "application/x-ndjson", "at byte 19 (line 2, event 1)"),
        (b'{"a":1}\n{"b":NaN}\n', "application/x-ndjson", "at byte 13 (line 2, event 1)"),
        (b'[{"a":1},{"b":2},oops]', "application/json", "at byte 17 (line 1)"),
        ('{"é":1}{"b":}'.encode(), "application/json", "at byte 13 (line 1, event 1)"),
        (b'{"a":"\xff"}', "application/json", "not valid UTF-8 at byte 6"),
        (b'{"a":"\\ud800"}', "application/json", "surrogate"),
        (b"[" * 5000, "application/json", "body is not valid JSON"),
    ],
)
def test_bad_json_names_where_it_breaks(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(MalformedBody, match=re.escape(message)):
        parse(body, content_type)


@pytest.mark.parametrize(
    ("body", "content_type", "index", "message"),
    [
        (
            b'[{"a":1},{"b":2},[3],{"c":4}]',
            "application/json",
            2,
            "event 2 is not a JSON object (got array)",
        ),
        (b'{"a":1}\n{"b":2}\n"text"\n', "application/x-ndjson", 2, "(got string)"),
        (
            b'{"a":1}{"b":2}{"c":3}7',
            "application/json",
            3,
            "event 3 is not a JSON object (got number)",
        ),
        (b"null", "application/json", 0, "(got null)"),
        (b'{"items":[{"a":1},true]}', "application/json", 1, "(got boolean)"),
        (
            msgpack.packb({"a": 1}) + msgpack.packb([1, 2, 3]),
            "application/msgpack",
            1,
            "event 1 is not a msgpack map (got integer)",
        ),
        (msgpack.packb({"a": 1}) + msgpack.packb("x"), "application/msgpack", 1, "(got string)"),
    ],
)
def test_an_event_that_is_not_an_object_is_named_by_its_index(
    body: bytes, content_type: str, index: int, message: str
) -> None:
    with pytest.raises(InvalidEvent, match=re.escape(message)) as caught:
        parse(body, content_type)
    assert caught.value.index == index
    assert caught.value.status == 400


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


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b"", None),
        (b" \n\t\r\n", "application/x-ndjson"),
        (b"[]", "application/json"),
        (b'{"items":[]}', "application/json"),
        (b"\n\n", "application/json"),
        (b"", "application/msgpack"),
        (msgpack.packb([]), "application/msgpack"),
    ],
)
def test_a_body_without_events_is_malformed(body: bytes, content_type: str | None) -> None:
    with pytest.raises(MalformedBody, match="no events in body"):
        parse(body, content_type)


def test_an_unknown_content_type_is_refused_even_with_an_empty_body() -> None:
    with pytest.raises(UnsupportedMediaType):
        parse(b"", "text/csv")


def test_error_messages_never_quote_much_of_the_payload() -> None:
    secret = b"s3cr3t" * 100_000
    for body, content_type in [
        (b'{"token":"' + secret + b'"', "application/json"),
        (b'{"a":1}\n' + secret, "application/x-ndjson"),
        (secret, "text/" + "x" * 10_000),
    ]:
        with pytest.raises(BodyError) as caught:
            parse(body, content_type)
        assert len(str(caught.value)) < 300


def test_more_events_than_max_events_is_too_large() -> None:
    lines = b'{"msg":"a","n":1}\n{"msg":"b","n":2}\n'
    assert parse(lines, "application/x-ndjson", max_events=2) == FLUENTD_EVENTS
    with pytest.raises(BodyTooLarge, match="over the limit of 1") as caught:
        parse(lines, "application/x-ndjson", max_events=1)
    assert caught.value.status == 413
    with pytest.raises(BodyTooLarge):
        parse(FLUENT_BIT_MSGPACK, "application/msgpack", max_events=1)


# --- any body at all ----------------------------------------------------------------

INT64 = st.integers(-(2**63), 2**63 - 1)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | INT64 | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)
MSGPACK_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | INT64
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.builds(msgpack.ExtType, st.integers(0, 127), st.binary(max_size=9)),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=4) | INT64, children, max_size=4)
    ),
    max_leaves=12,
)


def _json(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


BODIES = st.one_of(
    st.binary(max_size=300),
    st.lists(JSON_VALUES, max_size=4).map(lambda values: b"\n".join(map(_json, values))),
    st.lists(JSON_VALUES, max_size=4).map(lambda values: b"".join(map(_json, values))),
    st.lists(MSGPACK_VALUES, max_size=4).map(lambda values: b"".join(map(msgpack.packb, values))),
    st.tuples(st.binary(min_size=1, max_size=20), st.integers(0, 40)).map(
        lambda cut: FLUENT_BIT_MSGPACK[: cut[1]] + cut[0] + FLUENT_BIT_MSGPACK[cut[1] :]
    ),
)
CONTENT_TYPES = st.sampled_from(
    [None, "application/octet-stream", "text/plain", *JSON_TYPES, *NDJSON_TYPES, *MSGPACK_TYPES]
)


@settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(body=BODIES, content_type=CONTENT_TYPES)
def test_any_body_gives_chunk_ready_events_or_a_body_error_and_nothing_else(
    body: bytes, content_type: str | None
) -> None:
    try:
        events = parse(body, content_type)
    except BodyError as err:
        assert err.status in (400, 413, 415)
        assert len(str(err)) < 400
        return
    assert events
    for event in events:
        assert type(event.record) is dict
        assert len(event.time) == 24 and event.time.endswith("Z")
    encode_chunk(events)  # the receiver writes them as chunks next: that must not fail


def test_msgpack_binary_strings_become_text_and_non_text_binary_is_refused() -> None:
    body = msgpack.packb({b"host": b"web-1", "tags": [b"a", {"k": b"v"}]}, use_bin_type=True)
    (event,) = parse_events(body, "application/msgpack", received_at=RECEIVED)
    assert event.record == {"host": "web-1", "tags": ["a", {"k": "v"}]}
    bad = msgpack.packb({"ok": 1}) + msgpack.packb({"blob": b"\xff\xfe"}, use_bin_type=True)
    with pytest.raises(InvalidEvent, match="event 1 holds binary data that is not UTF-8"):
        parse_events(bad, "application/msgpack", received_at=RECEIVED)
