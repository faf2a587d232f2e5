"""OTLP logs over HTTP on the real stack: the OpenTelemetry SDK's own exporter, and raw requests.

The client is the OpenTelemetry Python SDK with ``OTLPLogExporter``
(``opentelemetry-exporter-otlp-proto-http``), unmodified, sending to the
receiver served on a real port; what it sent is read back from the app's topic.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from google.protobuf import json_format
from google.rpc.status_pb2 import Status
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    InMemoryLogRecordExporter,
    LogRecordExportResult,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

from barito_common.schemas import ClusterCoordinates
from barito_testing.serving import serve

TRACE_ID = 0x5B8EFFF798038103D269B633813FC60C
RESOURCE = {"service.name": "checkout", "deployment.environment.name": "test"}
# (severity number, text, the level Barito files it under)
SEVERITIES = [
    (SeverityNumber.DEBUG, "DEBUG", "debug"),
    (SeverityNumber.INFO, "INFO", "info"),
    (SeverityNumber.WARN, "WARN", "warn"),
    (SeverityNumber.ERROR2, "ERROR", "error"),
    (SeverityNumber.FATAL, "FATAL", "fatal"),
]
PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    # Small limits, so that one oversized record and one oversized body are cheap to send.
    return {"max_event_bytes": 16 * 1024, "max_request_bytes": 256 * 1024}


@pytest.fixture(scope="module")
async def url(receiver: Any) -> AsyncIterator[str]:
    async with serve(receiver.app, lifespan="off") as base:
        yield base


def _provider(processor: Any) -> LoggerProvider:
    provider = LoggerProvider(resource=Resource(RESOURCE))
    provider.add_log_record_processor(processor)
    return provider


def _emit_marked(provider: LoggerProvider, run: str, count: int, start_ns: int) -> None:
    logger = provider.get_logger("shop.checkout", "1.2.0")
    for n in range(count):
        number, text, _ = SEVERITIES[n % len(SEVERITIES)]
        span = SpanContext(TRACE_ID, n + 1, is_remote=False, trace_flags=TraceFlags(1))
        logger.emit(
            timestamp=start_ns + n * 1_000_000,
            context=set_span_in_context(NonRecordingSpan(span)),
            severity_number=number,
            severity_text=text,
            body=f"{run}-{n}",
            attributes={
                "marker": f"{run}-{n}",
                "n": n,
                "http.response.status_code": 200 + n,
                "user.tags": ("a", "b"),
                "ratio": 0.5,
                "ok": True,
            },
        )


def _expected(run: str, n: int) -> dict[str, Any]:
    number, text, level = SEVERITIES[n % len(SEVERITIES)]
    return {
        "message": f"{run}-{n}",
        "level": level,
        "severity_text": text,
        "severity_number": number.value,
        "trace_id": f"{TRACE_ID:032x}",
        "span_id": f"{n + 1:016x}",
        "flags": 1,
        "attributes.marker": f"{run}-{n}",
        "attributes.n": n,
        "attributes.http.response.status_code": 200 + n,
        "attributes.user.tags": ["a", "b"],
        "attributes.ratio": 0.5,
        "attributes.ok": True,
        "resource.attributes.service.name": "checkout",
        "resource.attributes.deployment.environment.name": "test",
        "scope.name": "shop.checkout",
        "scope.version": "1.2.0",
    }


def _millis(nanos: int) -> str:
    seconds, rest = divmod(nanos // 1_000_000, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{rest:03d}Z"


@contextmanager
def _exporter(endpoint: str, **options: Any) -> Iterator[OTLPLogExporter]:
    exporter = OTLPLogExporter(endpoint=endpoint, timeout=10, **options)
    try:
        yield exporter
    finally:
        exporter.shutdown()


@pytest.mark.parametrize(
    ("credentials", "compression"),
    [("bearer", Compression.Gzip), ("x-app-secret", Compression.NoCompression)],
)
async def test_the_sdk_exporter_delivers_every_record_once_with_its_fields(
    receiver: Any, url: str, credentials: str, compression: Compression
) -> None:
    app = await receiver.apps.register()
    headers = (
        {"Authorization": f"Bearer {app.secret}"}
        if credentials == "bearer"
        else {"X-App-Secret": app.secret}
    )
    run, count, start_ns = uuid.uuid4().hex[:8], 60, 1_700_000_000_000_000_000
    exporter = OTLPLogExporter(
        endpoint=f"{url}/v1/logs", headers=headers, compression=compression, timeout=10
    )
    provider = _provider(BatchLogRecordProcessor(exporter, max_export_batch_size=25))
    _emit_marked(provider, run, count, start_ns)
    # The batch processor exports from its own thread, over a real socket, to the
    # receiver served by this event loop: flushing must not block the loop.
    assert await asyncio.to_thread(provider.force_flush, 30_000)
    await asyncio.to_thread(provider.shutdown)  # stops its thread, and the exporter

    events = await receiver.apps.events(app, expect=count)
    markers = Counter(event.record["attributes.marker"] for event in events)
    assert markers == Counter(f"{run}-{n}" for n in range(count))
    for event in events:
        n = event.record["attributes.n"]
        assert event.time == _millis(start_ns + n * 1_000_000)
        observed = event.record.pop("observed_timestamp")
        assert observed.endswith("Z") and observed > event.time
        assert event.record == _expected(run, n)


def _export_with(exporter: OTLPLogExporter, run: str, count: int) -> LogRecordExportResult:
    """Have the SDK make ``count`` records, then hand them to ``exporter`` as one batch."""
    memory = InMemoryLogRecordExporter()
    provider = _provider(SimpleLogRecordProcessor(memory))
    _emit_marked(provider, run, count, time.time_ns())
    return exporter.export(memory.get_finished_logs())


async def test_a_wrong_secret_is_refused_and_the_exporter_reports_the_failure(
    receiver: Any, url: str
) -> None:
    app = await receiver.apps.register()
    for headers in ({"Authorization": "Bearer not-a-secret"}, {}):
        with _exporter(f"{url}/v1/logs", headers=headers) as exporter:
            result = await asyncio.to_thread(_export_with, exporter, "wrong", 3)
        assert result is LogRecordExportResult.FAILURE
    for headers in ({"Authorization": "Bearer not-a-secret"}, {"X-App-Secret": "nope"}, {}):
        refused = await receiver.client.post(
            "/v1/logs", content=b"", headers={**PROTOBUF, **headers}
        )
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/x-protobuf"
        assert Status.FromString(refused.content).code == 16  # UNAUTHENTICATED
    assert await receiver.apps.chunk_count(app) == 0


async def test_another_apps_secret_writes_only_to_that_app_whatever_the_records_name(
    receiver: Any, url: str
) -> None:
    mine, theirs = await receiver.apps.register(), await receiver.apps.register()
    # Their exporter names my app every way a record can: it still writes to theirs.
    named_as_mine = {"service.name": mine.profile.slug, "barito.app": mine.profile.slug}
    with _exporter(f"{url}/v1/logs", headers={"X-App-Secret": theirs.secret}) as exporter:
        memory = InMemoryLogRecordExporter()
        provider = LoggerProvider(resource=Resource(named_as_mine))
        provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
        provider.get_logger(mine.profile.slug).emit(
            body="from theirs", attributes={"barito.app": mine.profile.slug}
        )
        result = await asyncio.to_thread(exporter.export, memory.get_finished_logs())
    assert result is LogRecordExportResult.SUCCESS
    [event] = await receiver.apps.events(theirs, expect=1)
    assert event.record["message"] == "from theirs"
    assert event.record["attributes.barito.app"] == mine.profile.slug
    assert "barito" not in event.record and "barito.app" not in event.record
    assert await receiver.apps.chunk_count(mine) == 0


REFERENCE_JSON = (
    b'{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":'
    b'{"stringValue":"api"}}]},"scopeLogs":[{"scope":{"name":"app.log"},"logRecords":[{'
    b'"timeUnixNano":"1700000000500000000","severityNumber":17,"severityText":"ERROR",'
    b'"body":{"stringValue":"boom"},"attributes":[{"key":"http.status","value":'
    b'{"intValue":"500"}}],"traceId":"5b8efff798038103d269b633813fc60c",'
    b'"spanId":"eee19b7ec3c1b174","flags":1}]}]}]}'
)


async def test_otlp_json_gzip_is_answered_in_json(receiver: Any) -> None:
    app = await receiver.apps.register()
    response = await receiver.client.post(
        "/v1/logs",
        content=gzip.compress(REFERENCE_JSON),
        headers={**app.headers, **JSON, "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    [event] = await receiver.apps.events(app, expect=1)
    assert event.time == "2023-11-14T22:13:20.500Z"
    assert event.record == {
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


def _request(*bodies: str) -> ExportLogsServiceRequest:
    return ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                scope_logs=[
                    ScopeLogs(
                        log_records=[
                            LogRecord(
                                time_unix_nano=1_700_000_000_000_000_000,
                                body=AnyValue(string_value=body),
                            )
                            for body in bodies
                        ]
                    )
                ]
            )
        ]
    )


async def test_one_record_over_the_event_limit_is_a_partial_success_the_rest_written(
    receiver: Any,
) -> None:
    app = await receiver.apps.register()
    export = _request("small-0", "x" * 20_000, "small-2")
    export.resource_logs[0].scope_logs[0].log_records[2].attributes.append(
        KeyValue(key="k", value=AnyValue(string_value="1"))
    )
    export.resource_logs[0].scope_logs[0].log_records.append(
        LogRecord(
            body=AnyValue(string_value="twice"),
            attributes=[
                KeyValue(key="k", value=AnyValue(string_value="1")),
                KeyValue(key="k", value=AnyValue(string_value="2")),
            ],
        )
    )
    for encoding in (PROTOBUF, JSON):
        body = (
            export.SerializeToString()
            if encoding is PROTOBUF
            else orjson.dumps(_as_otlp_json(export))
        )
        response = await receiver.client.post(
            "/v1/logs", content=body, headers={**app.headers, **encoding}
        )
        assert response.status_code == 200, response.text
        if encoding is PROTOBUF:
            partial = ExportLogsServiceResponse.FromString(response.content).partial_success
            rejected, message = partial.rejected_log_records, partial.error_message
        else:
            partial_json = response.json()["partialSuccess"]
            rejected, message = (
                int(partial_json["rejectedLogRecords"]),
                partial_json["errorMessage"],
            )
        assert rejected == 2
        assert message.startswith("2 of 4 log records refused: ")
        assert "logRecords[3]: attribute 'k' is given twice" in message
        assert "logRecords[1] is " in message and "over the limit of 16384 bytes" in message
    events = await receiver.apps.events(app, expect=4)
    assert [event.record["message"] for event in events] == ["small-0", "small-2"] * 2


def _as_otlp_json(export: ExportLogsServiceRequest) -> dict[str, Any]:
    return json_format.MessageToDict(export)  # no ids in these records: no hex to fix


async def test_bad_requests_get_their_status_with_a_reason_and_nothing_is_written(
    receiver: Any,
) -> None:
    app = await receiver.apps.register()
    huge = _request("y" * 1000).SerializeToString() * 300  # repeated fields concatenate
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    cases = [
        ({"Content-Type": "text/plain"}, b"hello", 415, "application/json", "is not OTLP"),
        (PROTOBUF, b"\x0a\x05\x12", 400, "application/x-protobuf", "not a protobuf"),
        (JSON, b"{not json", 400, "application/json", "body is not JSON"),
        (JSON, REFERENCE_JSON.replace(b"5b8efff7", b"zzzzzzzz"), 400, "application/json", "hex"),
        (PROTOBUF, huge, 413, "application/x-protobuf", "over the limit"),
        (
            {**PROTOBUF, "Content-Encoding": "gzip"},
            bomb,
            413,
            "application/x-protobuf",
            "bytes",
        ),
        ({**PROTOBUF, "Content-Encoding": "br"}, b"x", 415, "application/x-protobuf", "br"),
    ]
    for headers, body, status, content_type, reason in cases:
        response = await receiver.client.post(
            "/v1/logs", content=body, headers={**app.headers, **headers}
        )
        assert response.status_code == status, (headers, response.text)
        assert response.headers["content-type"] == content_type
        if content_type == "application/json":
            message = response.json()["message"]
        else:
            message = Status.FromString(response.content).message
        assert reason in message, message
    assert await receiver.apps.chunk_count(app) == 0
    empty = await receiver.client.post("/v1/logs", content=b"", headers={**app.headers, **PROTOBUF})
    assert (empty.status_code, empty.content) == (200, b"")


async def test_over_the_rate_is_429_with_retry_after_and_nothing_written(receiver: Any) -> None:
    app = await receiver.apps.register(tps=1)
    body = _request(*(f"r-{n}" for n in range(50))).SerializeToString()
    headers = {**app.headers, **PROTOBUF}
    # A full bucket lets one batch bigger than itself through, into debt; the next waits.
    first = await receiver.client.post("/v1/logs", content=body, headers=headers)
    assert first.status_code == 200, first.text
    response = await receiver.client.post("/v1/logs", content=body, headers=headers)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "over its rate" in Status.FromString(response.content).message
    assert len(await receiver.apps.events(app, expect=50)) == 50


async def test_kafka_not_acknowledging_is_503_with_retry_after(receiver: Any, stack: Any) -> None:
    nowhere = ClusterCoordinates(
        infrastructure_id="nowhere",
        kafka_bootstrap_servers="127.0.0.1:1",  # nothing listens on port 1
        search_url=stack.elasticsearch_url,
        search_engine="elasticsearch",
    )
    app = await receiver.apps.register()
    await receiver.apps.publish(app.profile.model_copy(update={"cluster": nowhere}))
    response = await receiver.client.post(
        "/v1/logs", content=REFERENCE_JSON, headers={**app.headers, **JSON}
    )
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["code"] == 14  # UNAVAILABLE
    assert "Kafka" in response.json()["message"]
    assert await receiver.apps.chunk_count(app, kafka=receiver.apps.kafka) == 0
