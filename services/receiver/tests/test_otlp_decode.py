"""OTLP request bodies decoded without Kafka: protobuf, OTLP/JSON and its traps, and errors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import orjson
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from barito_receiver.decode_errors import BodyTooLarge, MalformedBody, UnsupportedMediaType
from barito_receiver.otlp.decode import Encoding, decode_request, encoding_of
from barito_receiver.otlp.events import log_events

RECEIVED = datetime(2024, 1, 1, tzinfo=UTC)
PROTOBUF = "application/x-protobuf"
JSON = "application/json"

# The reference's example (shared/reference/ingest-protocols.md §2), one line break moved.
REFERENCE_JSON = b"""{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name",
 "value":{"stringValue":"api"}}]},"scopeLogs":[{"scope":{"name":"app.log"},"logRecords":[{"timeUnixNano":"1700000000500000000",
 "severityNumber":17,"severityText":"ERROR","body":{"stringValue":"boom"},
 "attributes":[{"key":"http.status","value":{"intValue":"500"}}],
 "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","flags":1}]}]}]}"""
REFERENCE_RECORD = {
    "message": "boom",
    "level": "error",
    "severity_text": "ERROR",
    "severity_number": 17,
    "trace_id": "5b8efff798038103d269b633813fc60c",
    "span_id": "eee19b7ec3c1b174",
    "flags": 1,
    "attributes.http.status": 500,
    "resource.attributes.service.name": "api",
    "scope.name": "app.log",
}


def _events(body: bytes, content_type: str = JSON):
    return log_events(decode_request(body, content_type), received_at=RECEIVED)


def _request(*records: LogRecord, resource=(), scope=None) -> ExportLogsServiceRequest:
    return ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(attributes=list(resource)),
                scope_logs=[ScopeLogs(scope=scope, log_records=list(records))],
            )
        ]
    )


def test_reference_json_example_becomes_one_event_with_every_documented_field() -> None:
    [event] = _events(REFERENCE_JSON).events
    assert event.time == "2023-11-14T22:13:20.500Z"
    assert event.record == REFERENCE_RECORD


def test_the_same_request_in_protobuf_gives_the_same_event() -> None:
    as_protobuf = decode_request(REFERENCE_JSON, JSON).SerializeToString()
    assert _events(as_protobuf, PROTOBUF).events == _events(REFERENCE_JSON).events


def test_json_ids_are_hex_in_any_case_and_come_out_lowercase() -> None:
    body = REFERENCE_JSON.replace(
        b"5b8efff798038103d269b633813fc60c", b"5B8EFFF798038103D269B633813FC60C"
    )
    [event] = _events(body).events
    assert event.record["trace_id"] == "5b8efff798038103d269b633813fc60c"


def test_a_base64_id_in_json_is_refused_naming_the_field() -> None:
    trace_id = base64.b64encode(bytes.fromhex("5b8efff798038103d269b633813fc60c")).decode()
    body = REFERENCE_JSON.replace(b"5b8efff798038103d269b633813fc60c", trace_id.encode())
    with pytest.raises(MalformedBody, match=r"logRecords\[0\]\.traceId .* is not hex"):
        decode_request(body, JSON)


def test_json_int64_as_strings_or_numbers_snake_case_keys_and_unknown_fields_are_accepted() -> None:
    body = orjson.dumps(
        {
            "resource_logs": [
                {
                    "scope_logs": [
                        {
                            "log_records": [
                                {
                                    "time_unix_nano": 1700000000500000000,
                                    "severity_number": "SEVERITY_NUMBER_WARN",
                                    "attributes": [
                                        {"key": "n", "value": {"intValue": 9007199254740993}},
                                        {"key": "s", "value": {"intValue": "-9223372036854775808"}},
                                    ],
                                    "trace_id": "5b8efff798038103d269b633813fc60c",
                                    "aFieldFromTheFuture": {"x": 1},
                                }
                            ],
                            "unknownToo": [],
                        }
                    ]
                }
            ]
        }
    )
    [event] = _events(body).events
    assert event.time == "2023-11-14T22:13:20.500Z"
    assert event.record == {
        "level": "warn",
        "severity_number": 13,
        "trace_id": "5b8efff798038103d269b633813fc60c",
        "attributes.n": 9007199254740993,
        "attributes.s": -9223372036854775808,
    }


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [
        ("application/x-protobuf", Encoding.PROTOBUF),
        ("Application/Protobuf", Encoding.PROTOBUF),
        ("application/json; charset=utf-8", Encoding.JSON),
    ],
)
def test_content_types_name_the_encoding(content_type, encoding) -> None:
    assert encoding_of(content_type) is encoding


@pytest.mark.parametrize("content_type", [None, "", "text/plain", "application/x-ndjson"])
def test_other_content_types_are_unsupported(content_type) -> None:
    with pytest.raises(
        UnsupportedMediaType, match="send application/x-protobuf or application/json"
    ):
        encoding_of(content_type)


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b"\x0a\x05\x12", PROTOBUF, "is not a protobuf ExportLogsServiceRequest"),
        (b"{not json", JSON, "body is not JSON"),
        (b"[]", JSON, "got list"),
        (b'{"resourceLogs": 5}', JSON, "resourceLogs"),
        (
            b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":[17]}]}]}]}',
            JSON,
            "severityNumber",
        ),
        (
            b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}',
            JSON,
            "timeUnixNano",
        ),
    ],
)
def test_malformed_bodies_are_refused_naming_what_is_wrong(body, content_type, problem) -> None:
    with pytest.raises(MalformedBody) as refused:
        decode_request(body, content_type)
    assert problem in str(refused.value)
    assert refused.value.status == 400


def _nested_protobuf(depth: int) -> bytes:
    def field(tag: int, payload: bytes) -> bytes:
        size, length = len(payload), b""
        while size > 0x7F:
            length += bytes([size & 0x7F | 0x80])
            size >>= 7
        return bytes([tag]) + length + bytes([size]) + payload

    value = field(0x0A, b"x")  # AnyValue.string_value
    for _ in range(depth):  # AnyValue.array_value(5) -> ArrayValue.values(1) -> AnyValue
        value = field(0x2A, field(0x0A, value))
    # request.resource_logs(1) -> scope_logs(2) -> log_records(2) -> body(5)
    return field(0x0A, field(0x12, field(0x12, field(0x2A, value))))


def test_deeply_nested_values_are_refused_not_a_crash() -> None:
    assert decode_request(_nested_protobuf(10), PROTOBUF).resource_logs
    with pytest.raises(MalformedBody, match="MaxDepth"):
        decode_request(_nested_protobuf(5000), PROTOBUF)
    value: dict = {"stringValue": "x"}
    for _ in range(300):
        value = {"arrayValue": {"values": [value]}}
    document = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": value}]}]}]}
    with pytest.raises(MalformedBody) as refused:
        decode_request(json.dumps(document).encode(), JSON)
    assert len(str(refused.value)) < 600


def test_more_log_records_than_the_limit_is_too_large() -> None:
    body = _request(LogRecord(), LogRecord(), LogRecord()).SerializeToString()
    assert len(_events(body, PROTOBUF).events) == 3
    with pytest.raises(BodyTooLarge, match="3 log records, over the limit of 2"):
        decode_request(body, PROTOBUF, max_records=2)


def test_an_empty_request_has_no_events() -> None:
    assert _events(b"", PROTOBUF).events == []
    assert _events(b"{}").events == []
