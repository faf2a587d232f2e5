"""OTLP records from the OpenTelemetry SDK to search: each found once, by its documented fields."""

from __future__ import annotations

import gzip
import uuid
from collections import Counter
from typing import Any

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

from barito_testing.flow import pipeline

pytestmark = pytest.mark.stack

ENGINES = ["elasticsearch", "opensearch"]
TRACE_ID = 0x5B8EFFF798038103D269B633813FC60C
COUNT = 30


def _sdk_export_body(run: str) -> bytes:
    """The protobuf body the SDK's OTLP/HTTP exporter sends for COUNT marked records."""
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource({"service.name": f"svc-{run}"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("shop.checkout", "1.2.0")
    for n in range(COUNT):
        span = SpanContext(TRACE_ID, n + 1, is_remote=False, trace_flags=TraceFlags(1))
        logger.emit(
            timestamp=1_700_000_000_000_000_000 + n * 1_000_000,
            context=set_span_in_context(NonRecordingSpan(span)),
            severity_number=SeverityNumber.ERROR if n % 3 == 0 else SeverityNumber.INFO,
            severity_text="ERROR" if n % 3 == 0 else "INFO",
            body=f"{run}-{n}",
            attributes={"marker": f"{run}-{n}", "n": n, "user.tags": ("a", "b")},
        )
    # The exporter's own encoding (what OTLPLogExporter.export serializes and posts).
    return encode_logs(memory.get_finished_logs()).SerializeToString()


@pytest.mark.parametrize("engine", ENGINES)
async def test_sdk_records_are_indexed_once_and_found_by_their_otel_fields(
    stack: Any, engine: str
) -> None:
    run = uuid.uuid4().hex[:8]
    async with pipeline(stack, engine) as p:
        app = await p.apps.register()
        response = await p.receiver.post(
            "/v1/logs",
            content=gzip.compress(_sdk_export_body(run)),
            headers={
                "Authorization": f"Bearer {app.secret}",
                "Content-Type": "application/x-protobuf",
                "Content-Encoding": "gzip",
            },
        )
        assert (response.status_code, response.content) == (200, b"")
        assert await p.wait_for_count(app, COUNT) == COUNT

        pattern = f"{app.profile.index_prefix}-*"
        found = await p.search.search(pattern, size=COUNT + 10)
        sources = [hit["_source"] for hit in found["hits"]["hits"]]
        assert Counter(s["attributes.marker"] for s in sources) == Counter(
            f"{run}-{n}" for n in range(COUNT)
        )
        for source in sources:
            n = source["attributes.n"]
            assert source["@timestamp"] == f"2023-11-14T22:13:20.{n:03d}Z"
            assert source["barito"] == {"app": app.profile.slug}
            assert source["message"] == f"{run}-{n}"
            assert source["level"] == ("error" if n % 3 == 0 else "info")
            assert source["trace_id"] == f"{TRACE_ID:032x}"
            assert source["span_id"] == f"{n + 1:016x}"
            assert source["attributes.user.tags"] == ["a", "b"]
            assert source["resource.attributes.service.name"] == f"svc-{run}"
            assert (source["scope.name"], source["scope.version"]) == ("shop.checkout", "1.2.0")

        # The dotted names are what a search filters on.
        async def count(query: dict[str, Any]) -> int:
            return await p.search.count(pattern, query=query)

        assert await count({"term": {"resource.attributes.service.name": f"svc-{run}"}}) == COUNT
        assert await count({"term": {"level": "error"}}) == len(range(0, COUNT, 3))
        assert await count({"term": {"span_id": f"{5:016x}"}}) == 1
        assert await count({"range": {"attributes.n": {"gte": 20}}}) == COUNT - 20
        assert await count({"match_phrase": {"message": f"{run}-7"}}) == 1
