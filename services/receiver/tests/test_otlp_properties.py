"""Properties of OTLP decoding over generated requests, without Kafka.

Every log record of any request becomes exactly one event or one named
refusal; every event can be written as a chunk; attribute keys never reach
the top level; and a request reads the same in OTLP/JSON as in protobuf.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import orjson
from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from barito_common.chunk_codec import encode_chunks
from barito_receiver.otlp.decode import decode_request
from barito_receiver.otlp.events import log_events

RECEIVED = datetime(2024, 1, 1, tzinfo=UTC)
TOP_LEVEL = {
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
NAMESPACES = ("attributes.", "resource.", "scope.")

# Few, clashing keys on purpose: duplicates, a key inside another, empty segments.
keys = st.sampled_from(["a", "a.b", "b", "", "x..y", ".z", "service.name", "@timestamp"]) | st.text(
    max_size=4
)
scalars = st.one_of(
    st.text(max_size=8).map(lambda v: AnyValue(string_value=v)),
    st.booleans().map(lambda v: AnyValue(bool_value=v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: AnyValue(int_value=v)),
    st.floats(allow_nan=False).map(lambda v: AnyValue(double_value=v)),
    st.binary(max_size=8).map(lambda v: AnyValue(bytes_value=v)),
    st.just(AnyValue()),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda v: AnyValue(array_value=ArrayValue(values=v))),
        st.lists(st.builds(KeyValue, key=keys, value=inner), max_size=3).map(
            lambda v: AnyValue(kvlist_value=KeyValueList(values=v))
        ),
    ),
    max_leaves=8,
)
attributes = st.lists(st.builds(KeyValue, key=keys, value=values), max_size=4)
nanos = st.sampled_from([0, 1, 1_700_000_000_123_456_789, 2**64 - 1]) | st.integers(0, 2**64 - 1)
records = st.builds(
    LogRecord,
    time_unix_nano=nanos,
    observed_time_unix_nano=nanos,
    severity_number=st.integers(0, 24),
    severity_text=st.sampled_from(["", "INFO", "Warning"]),
    body=values,
    attributes=attributes,
    flags=st.integers(0, 2**32 - 1),
    trace_id=st.sampled_from([b"", b"\0" * 16]) | st.binary(min_size=16, max_size=16),
    span_id=st.sampled_from([b"", b"\1" * 7]) | st.binary(min_size=8, max_size=8),
    event_name=st.sampled_from(["", "e"]),
)
requests = st.lists(
    st.builds(
        ResourceLogs,
        resource=st.builds(Resource, attributes=attributes),
        scope_logs=st.lists(
            st.builds(
                ScopeLogs,
                scope=st.builds(
                    InstrumentationScope, name=st.text(max_size=3), attributes=attributes
                ),
                log_records=st.lists(records, max_size=3),
            ),
            max_size=2,
        ),
    ),
    max_size=2,
).map(lambda resource_logs: ExportLogsServiceRequest(resource_logs=resource_logs))


def _record_count(export: ExportLogsServiceRequest) -> int:
    return sum(len(s.log_records) for r in export.resource_logs for s in r.scope_logs)


@settings(max_examples=300, deadline=None)
@given(export=requests)
def test_every_record_is_one_writable_event_or_one_named_refusal(export) -> None:
    body = export.SerializeToString()
    result = log_events(decode_request(body, "application/x-protobuf"), received_at=RECEIVED)
    assert len(result.events) + len(result.refused) == _record_count(export)
    assert all(reason.startswith("resourceLogs[") for reason in result.refused)
    encode_chunks(result.events)  # never a ChunkError: every value is one msgpack holds
    for event in result.events:
        assert event.time.endswith("Z")
        for key in event.record:
            assert key in TOP_LEVEL or key.startswith(NAMESPACES), key


def _as_otlp_json(export: ExportLogsServiceRequest) -> bytes:
    """``export`` as an OTLP/JSON sender writes it: protobuf JSON, but ids in hex."""
    document: dict[str, Any] = json_format.MessageToDict(export)
    for resource_logs in document.get("resourceLogs", []):
        for scope_logs in resource_logs.get("scopeLogs", []):
            for record in scope_logs.get("logRecords", []):
                for key in ("traceId", "spanId"):
                    if key in record:
                        record[key] = base64.b64decode(record[key]).hex()
    return orjson.dumps(document)


@settings(max_examples=200, deadline=None)
@given(export=requests)
def test_otlp_json_reads_the_same_as_protobuf(export) -> None:
    assert decode_request(_as_otlp_json(export), "application/json") == export
