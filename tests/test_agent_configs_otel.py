"""The market's OpenTelemetry Collector configuration, run by a real collector, delivers.

The configuration comes from the market's code for this receiver's OTLP
endpoint (``agent_configs``), unchanged except the ports its own OTLP
receiver listens on (free ones here, 4317/4318 in what users paste). The
collector is built from the upstream components
(``barito_testing.otel_collector``). Logs posted to it in OTLP/JSON must be in
the app's topic exactly once each, and the secret nowhere in them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from barito_common.settings import KafkaSettings
from barito_market.apps.agent_configs import agent_configs
from barito_market.apps.endpoints import app_endpoints
from barito_market.settings import MarketSettings
from barito_testing.apps import Apps
from barito_testing.otel_collector import otel_collector
from barito_testing.ports import free_port
from barito_testing.receiver import in_process_receiver
from barito_testing.serving import serve

COUNT = 30


@pytest.fixture(scope="module")
async def collector_binary(stack: Any) -> Path:
    return await asyncio.to_thread(otel_collector, stack.config.cache_dir)


@pytest.fixture
async def receiver(stack: Any) -> AsyncIterator[tuple[Apps, str]]:
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"o{uuid.uuid4().hex[:8]}."
    )
    async with in_process_receiver(kafka, usage_window_s=1.0) as r:
        apps = Apps(kafka, r.registry)
        await apps.producer.start()
        try:
            async with serve(r.app, lifespan="off") as url:
                yield apps, url
        finally:
            await apps.producer.stop()


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def _export(markers: list[str]) -> dict[str, Any]:
    records = [
        {"timeUnixNano": "1700000000500000000", "severityText": "INFO",
         "body": {"stringValue": marker}}
        for marker in markers
    ]  # fmt: skip
    return {"resourceLogs": [{"scopeLogs": [{"logRecords": records}]}]}


async def test_pasted_collector_config_delivers_every_record_once(
    receiver: tuple[Apps, str], collector_binary: Path, tmp_path: Path
) -> None:
    apps, url = receiver
    app = await apps.register()
    settings = MarketSettings(otlp_url_template=f"{url}/v1/logs")
    slug = app.profile.slug
    endpoints = app_endpoints(settings, app_slug=slug, group_slug="g", cluster=None)
    config = agent_configs(endpoints, secret=app.secret, app_slug=slug).otel_collector
    assert config is not None
    grpc_port, http_port = free_port(), free_port()
    config = config.replace("127.0.0.1:4317", f"127.0.0.1:{grpc_port}")
    config = config.replace("127.0.0.1:4318", f"127.0.0.1:{http_port}")
    await asyncio.to_thread(_write, tmp_path / "barito.yaml", config)
    process = await asyncio.create_subprocess_exec(
        *(str(collector_binary), "--config", str(tmp_path / "barito.yaml")),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        markers = [f"otel-{uuid.uuid4().hex[:6]}-{n}" for n in range(COUNT)]
        async with httpx.AsyncClient() as client:
            async with asyncio.timeout(30):
                while True:
                    if process.returncode is not None:
                        output = await process.stdout.read() if process.stdout else b""
                        pytest.fail(f"the collector exited: {output.decode()}")
                    try:
                        answer = await client.post(
                            f"http://127.0.0.1:{http_port}/v1/logs", json=_export(markers)
                        )
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.2)
        assert answer.status_code == 200, answer.text
        events = await apps.events(app, expect=COUNT, wait_s=30)
        assert sorted(event.record["message"] for event in events) == sorted(markers)
        assert all(app.secret not in str(event.record) for event in events)
    finally:
        process.terminate()
        async with asyncio.timeout(20):
            await process.communicate()
