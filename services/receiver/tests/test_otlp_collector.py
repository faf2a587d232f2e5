"""An OpenTelemetry Collector between the SDK and Barito, configured as docs/agents.md says.

The collector is built from its upstream components, unmodified
(``barito_testing.otel_collector``); its OTLP/HTTP exporter sends protobuf,
or OTLP/JSON with ``encoding: json``, gzipped, with the app secret in a header.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    LogRecordExportResult,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

from barito_testing.otel_collector import otel_collector
from barito_testing.ports import free_port
from barito_testing.serving import serve

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
COUNT = 40

# The exporter part is docs/agents.md's configuration, with the receiver's URL.
CONFIG = """
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{port}
processors:
  batch:
exporters:
  otlphttp/barito:
    endpoint: {receiver}
    headers:
      X-App-Secret: ${{env:BARITO_APP_SECRET}}
    compression: gzip
    encoding: {encoding}
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp/barito]
  telemetry:
    metrics:
      level: none
"""


@pytest.fixture(scope="module")
async def collector_binary(stack: Any) -> Path:
    return await asyncio.to_thread(otel_collector, stack.config.cache_dir)


@pytest.fixture(scope="module")
async def url(receiver: Any) -> AsyncIterator[str]:
    async with serve(receiver.app, lifespan="off") as base:
        yield base


@asynccontextmanager
async def _collector(
    binary: Path, config: str, folder: Path, secret: str, port: int
) -> AsyncIterator[None]:
    (folder / "collector.yaml").write_text(config)
    with (folder / "collector.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(binary),
            "--config",
            str(folder / "collector.yaml"),
            stdout=log,
            stderr=log,
            env={**os.environ, "BARITO_APP_SECRET": secret},
        )
        try:
            async with asyncio.timeout(60):
                while True:
                    if process.returncode is not None:
                        raise AssertionError((folder / "collector.log").read_text())
                    try:
                        _, writer = await asyncio.open_connection("127.0.0.1", port)
                    except OSError:
                        await asyncio.sleep(0.2)
                        continue
                    writer.close()
                    await writer.wait_closed()
                    break
            yield
        finally:
            if process.returncode is None:
                # SIGTERM: the collector drains its batch and its exporter's queue first.
                process.terminate()
                async with asyncio.timeout(30):
                    await process.wait()


def _export_to_collector(port: int, run: str) -> LogRecordExportResult:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource({"service.name": "checkout"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("shop.checkout", "1.2.0")
    start = time.time_ns()
    for n in range(COUNT):
        span = SpanContext(TRACE_ID, n + 1, is_remote=False, trace_flags=TraceFlags(1))
        logger.emit(
            timestamp=start + n * 1_000_000,
            context=set_span_in_context(NonRecordingSpan(span)),
            severity_number=SeverityNumber.WARN,
            severity_text="WARN",
            body=f"{run}-{n}",
            attributes={"marker": f"{run}-{n}", "n": n, "big.int": 2**62 + n},
        )
    exporter = OTLPLogExporter(endpoint=f"http://127.0.0.1:{port}/v1/logs", timeout=10)
    try:
        return exporter.export(memory.get_finished_logs())
    finally:
        exporter.shutdown()


@pytest.mark.parametrize("encoding", ["proto", "json"])
async def test_a_collector_forwards_every_record_once_with_its_fields(
    receiver: Any, url: str, collector_binary: Path, tmp_path: Path, encoding: str
) -> None:
    app = await receiver.apps.register()
    run, port = uuid.uuid4().hex[:8], free_port()
    config = CONFIG.format(port=port, receiver=url, encoding=encoding)
    async with _collector(collector_binary, config, tmp_path, app.secret, port):
        result = await asyncio.to_thread(_export_to_collector, port, run)
        assert result is LogRecordExportResult.SUCCESS
        events = await receiver.apps.events(app, expect=COUNT, wait_s=60)

    assert Counter(e.record["attributes.marker"] for e in events) == Counter(
        f"{run}-{n}" for n in range(COUNT)
    )
    for event in events:
        record = event.record
        n = record["attributes.n"]
        assert record["message"] == f"{run}-{n}"
        assert (record["level"], record["severity_text"], record["severity_number"]) == (
            "warn",
            "WARN",
            13,
        )
        # OTLP/JSON's traps: ids in hex, int64 as strings; both arrive intact.
        assert record["trace_id"] == f"{TRACE_ID:032x}"
        assert record["span_id"] == f"{n + 1:016x}"
        assert record["flags"] == 1
        assert record["attributes.big.int"] == 2**62 + n
        assert record["resource.attributes.service.name"] == "checkout"
        assert (record["scope.name"], record["scope.version"]) == ("shop.checkout", "1.2.0")
