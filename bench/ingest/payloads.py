"""The bench's records in each protocol's own encoding, as its real clients send them.

OTLP and forward carry the event time natively, so their records leave out
``@timestamp``; everything else is the same fields with the same values.
"""

from __future__ import annotations

import base64
import struct
from typing import Any

import msgpack
import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs, SeverityNumber
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from workload import TIMESTAMP_NS, TIMESTAMP_S

_BULK_ACTION = orjson.dumps({"create": {"_index": "logs-bench"}})
# Fluentd's EventTime: msgpack ext type 0, seconds and nanoseconds as big-endian uint32.
_EVENT_TIME = msgpack.ExtType(0, struct.pack(">II", TIMESTAMP_S, TIMESTAMP_NS % 1_000_000_000))


def _text(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def otlp_body(records: list[dict[str, Any]]) -> bytes:
    """One ExportLogsServiceRequest, grouped by resource and scope as the SDKs do."""
    first = records[0]
    log_records = [
        LogRecord(
            time_unix_nano=TIMESTAMP_NS,
            severity_number=SeverityNumber.SEVERITY_NUMBER_INFO,
            severity_text=record["level"].upper(),
            body=AnyValue(string_value=record["message"]),
            trace_id=bytes.fromhex(record["trace_id"]),
        )
        for record in records
    ]
    resource = Resource(
        attributes=[_text("service.name", first["service"]), _text("host.name", first["host"])]
    )
    export = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=log_records)])
        ]
    )
    return bytes(export.SerializeToString())


def bulk_body(records: list[dict[str, Any]]) -> bytes:
    """An Elasticsearch bulk body of ``create`` actions, every line ending in a newline."""
    lines = []
    for record in records:
        lines.append(_BULK_ACTION)
        lines.append(orjson.dumps(record))
    return b"\n".join(lines) + b"\n"


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def packed_forward(tag: str, records: list[dict[str, Any]], chunk: str) -> bytes:
    """A PackedForward request asking for an ack of ``chunk``, as fluentd's out_forward sends."""
    packer = msgpack.Packer(use_bin_type=True)
    entries = b"".join(
        packer.pack([_EVENT_TIME, {k: v for k, v in record.items() if k != "@timestamp"}])
        for record in records
    )
    option = {"size": len(records), "chunk": chunk}
    return packer.pack([tag, entries, option])  # type: ignore[no-any-return]
