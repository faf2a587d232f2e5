"""JSON bodies as real agents send them (shared/reference/agent-payloads.md) become events.

application/json and the newline-delimited kinds (:mod:`barito_receiver.json_body`).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from barito_common.chunk_codec import Event
from barito_receiver.body_formats import NDJSON_TYPES, parse_events
from barito_receiver.decode_errors import MalformedBody
from barito_testing.agent_bodies import FLUENTD_EVENTS, NOW, RECEIVED, T1, T2

FLUENT_BIT_RECORDS = [{"date": 1700000000.5, "log": "a"}, {"date": 1700000001.0, "log": "b"}]
FLUENT_BIT_EVENTS = [Event(T1, FLUENT_BIT_RECORDS[0]), Event(T2, FLUENT_BIT_RECORDS[1])]
BARITO_BATCH = (
    b'{"items":[{"tag":"barito","@message":"hello","@timestamp":"2025-07-29T10:00:00Z",'
    b'"client_trail":{"is_k8s":false,"sent_at":"2025-07-29T10:00:00Z","hints":[],'
    b'"hostname":"vm-1"}}]}'
)


def parse(body: bytes, content_type: str | None, **kwargs: Any) -> list[Event]:
    return parse_events(body, content_type, received_at=RECEIVED, **kwargs)


def test_fluentd_out_http_json_lines() -> None:
    body = b'{"msg":"a","n":1}\n{"msg":"b","n":2}\n'
    assert parse(body, "application/x-ndjson") == FLUENTD_EVENTS


def test_fluentd_out_http_json_array_with_newlines_inside() -> None:
    body = b'[{"msg":"a","n":1}\n,{"msg":"b","n":2}\n]'
    assert parse(body, "application/json") == FLUENTD_EVENTS


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
