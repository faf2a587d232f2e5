"""OTLP log records as Barito events, without Kafka: the field layout and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from barito_receiver.otlp.events import log_events

RECEIVED = datetime(2024, 1, 1, tzinfo=UTC)

# Every top-level field a record can have: attribute keys never reach the top.
LAYOUT = {
    "message",
    "body",
    "level",
    "severity_text",
    "severity_number",
    "trace_id",
    "span_id",
    "flags",
    "event_name",
    "observed_timestamp",
    "dropped_attributes_count",
}


def _string(text: str) -> AnyValue:
    return AnyValue(string_value=text)


def _request(*records: LogRecord, resource=(), scope=None) -> ExportLogsServiceRequest:
    return ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(attributes=list(resource)),
                scope_logs=[ScopeLogs(scope=scope, log_records=list(records))],
            )
        ]
    )


def _one(*records: LogRecord, **kwargs):
    return log_events(_request(*records, **kwargs), received_at=RECEIVED)


def test_event_time_falls_back_to_observed_time_then_to_the_receive_time() -> None:
    observed = 1700000001000000000
    result = _one(
        LogRecord(time_unix_nano=1700000000500000000, observed_time_unix_nano=observed),
        LogRecord(observed_time_unix_nano=observed),
        LogRecord(),
        LogRecord(time_unix_nano=1_500_000_000),  # 1.5 s after the epoch, still nanoseconds
    )
    assert [event.time for event in result.events] == [
        "2023-11-14T22:13:20.500Z",
        "2023-11-14T22:13:21.000Z",
        "2024-01-01T00:00:00.000Z",
        "1970-01-01T00:00:01.500Z",
    ]
    assert result.events[0].record == {"observed_timestamp": "2023-11-14T22:13:21.000Z"}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (_string("line"), {"message": "line"}),
        (AnyValue(int_value=42), {"message": "42"}),
        (AnyValue(double_value=1.5), {"message": "1.5"}),
        (AnyValue(bool_value=False), {"message": "false"}),
        (AnyValue(bytes_value=b"\x00\xff"), {"message": "AP8="}),
        (
            AnyValue(
                kvlist_value=KeyValueList(
                    values=[
                        KeyValue(key="user", value=_string("ann")),
                        KeyValue(
                            key="cart",
                            value=AnyValue(
                                kvlist_value=KeyValueList(
                                    values=[KeyValue(key="items", value=AnyValue(int_value=3))]
                                )
                            ),
                        ),
                    ]
                )
            ),
            {"body": {"user": "ann", "cart": {"items": 3}}},
        ),
        (
            AnyValue(array_value=ArrayValue(values=[_string("a"), AnyValue()])),
            {"body": ["a", None]},
        ),
        (AnyValue(), {}),
        (AnyValue(string_value_strindex=3), {}),  # a profiles-only string table index
    ],
)
def test_body_string_as_message_and_map_or_array_kept_structured(body, fields) -> None:
    [event] = _one(LogRecord(body=body)).events
    assert event.record == fields


@pytest.mark.parametrize(
    ("number", "text", "level"),
    [
        (1, "", "trace"),
        (4, "", "trace"),
        (5, "", "debug"),
        (9, "Information", "info"),
        (13, "", "warn"),
        (17, "", "error"),
        (21, "", "fatal"),
        (24, "", "fatal"),
        (0, "Warning", "warning"),
        (99, "CRIT", "crit"),
        (0, "", None),
    ],
)
def test_level_comes_from_the_severity_number_else_the_text(number, text, level) -> None:
    [event] = _one(LogRecord(severity_number=number, severity_text=text)).events
    assert event.record.get("level") == level
    assert event.record.get("severity_text") == (text or None)


@pytest.mark.parametrize(
    ("trace_id", "span_id"),
    [(b"\0" * 16, b"\0" * 8), (b"\1" * 15, b"\1" * 9), (b"", b"")],
)
def test_ids_that_are_empty_all_zero_or_the_wrong_length_are_left_out(trace_id, span_id) -> None:
    [event] = _one(LogRecord(trace_id=trace_id, span_id=span_id, flags=0)).events
    assert event.record == {}


def test_attributes_resource_and_scope_each_have_their_namespace_and_never_meet() -> None:
    same_key = [KeyValue(key="service.name", value=_string(name)) for name in ("rec", "res")]
    record = LogRecord(
        body=_string("m"),
        attributes=[
            same_key[0],
            KeyValue(key="@timestamp", value=_string("1999-01-01")),
            KeyValue(key="barito.app", value=_string("someone-else")),
            KeyValue(key="message", value=_string("not the body")),
            KeyValue(key="tags", value=AnyValue(array_value=ArrayValue(values=[_string("x")]))),
            KeyValue(key="raw", value=AnyValue(bytes_value=b"\x01")),
        ],
        event_name="checkout.done",
        dropped_attributes_count=2,
    )
    scope = InstrumentationScope(
        name="shop.logger",
        version="1.2",
        attributes=[KeyValue(key="service.name", value=_string("scp"))],
    )
    [event] = _one(record, resource=[same_key[1]], scope=scope).events
    assert event.record == {
        "message": "m",
        "event_name": "checkout.done",
        "dropped_attributes_count": 2,
        "attributes.service.name": "rec",
        "attributes.@timestamp": "1999-01-01",
        "attributes.barito.app": "someone-else",
        "attributes.message": "not the body",
        "attributes.tags": ["x"],
        "attributes.raw": "AQ==",
        "resource.attributes.service.name": "res",
        "scope.name": "shop.logger",
        "scope.version": "1.2",
        "scope.attributes.service.name": "scp",
    }
    top_level = {
        key for key in event.record if not key.startswith(("attributes.", "resource.", "scope."))
    }
    assert top_level <= LAYOUT


def test_a_map_attribute_continues_the_dotted_key() -> None:
    header = KeyValueList(values=[KeyValue(key="accept", value=_string("*/*"))])
    attribute = KeyValue(key="http.request.header", value=AnyValue(kvlist_value=header))
    [event] = _one(LogRecord(attributes=[attribute])).events
    assert event.record == {"attributes.http.request.header.accept": "*/*"}


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ([("a", _string("1")), ("a", _string("2"))], "attribute 'a' is given twice"),
        (
            [
                ("http.request.header.accept", _string("1")),
                (
                    "http.request.header",
                    AnyValue(
                        kvlist_value=KeyValueList(
                            values=[KeyValue(key="accept", value=_string("2"))]
                        )
                    ),
                ),
            ],
            "attribute 'http.request.header.accept' is given twice",
        ),
        (
            [("http", _string("x")), ("http.status", AnyValue(int_value=1))],
            "attribute 'http.status' lies inside attribute 'http'",
        ),
        ([("", _string("x"))], "attribute key '' cannot be stored"),
        ([("a..b", _string("x"))], "attribute key 'a..b' cannot be stored"),
    ],
)
def test_a_record_whose_attributes_collide_is_refused_by_name_and_the_others_kept(
    attributes, reason
) -> None:
    bad = LogRecord(attributes=[KeyValue(key=key, value=value) for key, value in attributes])
    result = _one(LogRecord(body=_string("before")), bad, LogRecord(body=_string("after")))
    assert [event.record["message"] for event in result.events] == ["before", "after"]
    [refused] = result.refused
    assert refused.startswith(f"resourceLogs[0].scopeLogs[0].logRecords[1]: {reason}")


def test_a_resource_whose_attributes_collide_refuses_all_its_records() -> None:
    resource = [KeyValue(key="k", value=_string("1")), KeyValue(key="k", value=_string("2"))]
    result = _one(LogRecord(), LogRecord(), resource=resource)
    assert result.events == []
    assert result.refused == ["resourceLogs[0].scopeLogs[0]: attribute 'k' is given twice"] * 2
