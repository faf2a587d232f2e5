"""Two receiver worker processes on one port, as ``BARITO_WORKERS=2`` runs them.

The receiver is started as users start it (``python -m barito_receiver.main``)
on the stack's Kafka: its supervisor process and two workers. Every protocol
port is taken by both workers, every accepted event lands in Kafka once, a
scrape of any worker counts what both accepted, and a worker killed outright
is replaced without losing anything it acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from barito_cli.stack.certificates import CertificateAuthority
from barito_common.app_registry import AppRegistry
from barito_common.chunk_codec import decode_chunk
from barito_common.settings import KafkaSettings
from barito_testing.apps import App, Apps, topic_values
from barito_testing.forward_client import spec_forward_client
from barito_testing.ports import free_port
from barito_testing.worker_pool import WorkerPool, worker_pool

pytestmark = [pytest.mark.stack, pytest.mark.timeout(300)]

EVENTS_PER_POST = 50


@dataclass
class Pool:
    pool: WorkerPool
    apps: Apps
    app: App
    forward_port: int
    syslog_port: int


@pytest.fixture(scope="module")
async def receivers(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Pool]:
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"w{uuid.uuid4().hex[:8]}."
    )
    # The registry topic is created by the first registry that starts.
    registry = AppRegistry(kafka)
    await registry.start()
    await registry.wait_loaded(30)
    apps = Apps(kafka, registry)
    await apps.producer.start()
    # Registered before the workers start: each is ready only once its registry holds it.
    app = await apps.register(partitions=2)
    forward_port, syslog_port = free_port(), free_port()
    env = {
        "BARITO_WORKERS": "2",
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "BARITO_FORWARD_PORT": str(forward_port),
        "BARITO_SYSLOG_PORT": str(syslog_port),
        "BARITO_USAGE_WINDOW_S": "1",
    }
    log = tmp_path_factory.mktemp("receiver") / "receiver.log"
    try:
        async with worker_pool("receiver", free_port(), env, log) as pool:
            assert len(pool.workers()) == 2
            yield Pool(pool, apps, app, forward_port, syslog_port)
    finally:
        await apps.producer.stop()
        await registry.stop()


def _body(markers: list[str]) -> bytes:
    return b"\n".join(orjson.dumps({"marker": marker}) for marker in markers)


def _markers(count: int) -> list[str]:
    run = uuid.uuid4().hex[:8]
    return [f"{run}-{n}" for n in range(count)]


async def _post(client: httpx.AsyncClient, receivers: Pool, markers: list[str]) -> int:
    response = await client.post(
        f"{receivers.pool.url}/api/v1/logs",
        content=_body(markers),
        headers={**receivers.app.headers, "Content-Type": "application/x-ndjson"},
    )
    return response.status_code


def _sent(metrics: str, app: str) -> float:
    for family in text_string_to_metric_families(metrics):
        if family.name == "barito_events_sent":
            return sum(s.value for s in family.samples if s.labels.get("app") == app)
    return 0.0


async def _landed(receivers: Pool, markers: set[str]) -> list[str]:
    """The markers in the app's topic, once every one of ``markers`` is there."""
    async with asyncio.timeout(60):
        while True:
            values = await topic_values(receivers.apps.kafka, receivers.app.profile.topic)
            records = [event.record for value in values for event in decode_chunk(value)]
            seen = [str(record.get("marker") or record.get("message")) for record in records]
            if markers <= set(seen):
                return seen
            await asyncio.sleep(0.5)


async def test_logs_over_many_connections_reach_both_workers_and_land_once_counted_by_any_scrape(
    receivers: Pool,
) -> None:
    port = int(receivers.pool.url.rsplit(":", 1)[1])
    sent: list[str] = []
    async with AsyncExitStack() as stack:
        clients: list[httpx.AsyncClient] = []
        # New connections until both workers hold some: the kernel decides who accepts.
        async with asyncio.timeout(60):
            while len(clients) < 8 or min(receivers.pool.connections(port).values()) == 0:
                client = await stack.enter_async_context(httpx.AsyncClient())
                clients.append(client)
                batch = _markers(EVENTS_PER_POST)
                assert await _post(client, receivers, batch) == 200
                sent += batch
        # More on every open connection, at once.
        batches = [_markers(EVENTS_PER_POST) for _ in clients]
        codes = await asyncio.gather(
            *(_post(c, receivers, b) for c, b in zip(clients, batches, strict=True))
        )
        assert set(codes) == {200}
        sent += [marker for batch in batches for marker in batch]

    landed = await _landed(receivers, set(sent))
    assert sorted(m for m in landed if m in set(sent)) == sorted(sent)  # each exactly once

    # Each scrape is a new connection, answered by whichever worker the kernel picks.
    slug = receivers.app.profile.slug
    async with asyncio.timeout(30):
        while True:
            async with httpx.AsyncClient() as client:
                metrics = (await client.get(f"{receivers.pool.url}/metrics")).text
            if _sent(metrics, slug) >= len(landed):
                break
            await asyncio.sleep(0.2)
    assert _sent(metrics, slug) == len(landed)
    assert 'barito_service_info{service="receiver"} 1.0' in metrics


async def test_forward_and_syslog_connections_are_taken_by_both_workers(receivers: Pool) -> None:
    forward_markers, syslog_markers = _markers(16), _markers(16)
    secret = receivers.app.secret
    async with AsyncExitStack() as stack:
        forward = [
            await stack.enter_async_context(spec_forward_client(receivers.forward_port))
            for _ in forward_markers
        ]
        syslog = [
            await stack.enter_async_context(_syslog_connection(receivers.syslog_port))
            for _ in syslog_markers
        ]
        # SO_REUSEPORT spreads new connections by their addresses: 16 reach both.
        async with asyncio.timeout(30):
            while (
                min(receivers.pool.connections(receivers.forward_port).values()) == 0
                or min(receivers.pool.connections(receivers.syslog_port).values()) == 0
            ):
                await asyncio.sleep(0.1)
        for client, marker in zip(forward, forward_markers, strict=True):
            await client.send([f"{secret}.web", 1700000000, {"marker": marker}, {"chunk": marker}])
            assert await client.read() == {"ack": marker}
        for writer, marker in zip(syslog, syslog_markers, strict=True):
            token = f'[barito@32473 secret="{secret}"]'
            writer.write(f"<13>1 2026-01-01T00:00:00Z host app - - {token} {marker}\n".encode())
            await writer.drain()
    landed = await _landed(receivers, {*forward_markers, *syslog_markers})
    assert sorted(m for m in landed if m in {*forward_markers, *syslog_markers}) == sorted(
        forward_markers + syslog_markers
    )


@asynccontextmanager
async def _syslog_connection(port: int) -> AsyncIterator[asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield writer
    finally:
        # Closed from this side once the receiver has read everything and closed its own.
        writer.write_eof()
        await reader.read()
        writer.close()
        await writer.wait_closed()


async def _scrape(receivers: Pool) -> tuple[float, str]:
    """The app's ``barito_events_sent_total`` and the text, from whichever worker answers."""
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"{receivers.pool.url}/metrics")).text
    return _sent(metrics, receivers.app.profile.slug), metrics


async def test_a_killed_worker_is_replaced_unready_meanwhile_and_nothing_it_acknowledged_is_lost(
    receivers: Pool,
) -> None:
    before = receivers.pool.workers()
    victim = min(before)
    accepted: list[str] = []
    stop = asyncio.Event()

    async def keep_posting() -> None:
        while not stop.is_set():
            async with httpx.AsyncClient() as client:
                batch = _markers(EVENTS_PER_POST)
                try:
                    if await _post(client, receivers, batch) == 200:
                        accepted.extend(batch)
                except httpx.HTTPError:
                    pass  # the killed worker's connection: not acknowledged, the client retries

    posting = [asyncio.create_task(keep_posting()) for _ in range(4)]
    try:
        async with asyncio.timeout(30):
            while len(accepted) < 10 * EVENTS_PER_POST:
                await asyncio.sleep(0.05)
        counted_before, _ = await _scrape(receivers)
        os.kill(victim, signal.SIGKILL)
        # Until its replacement is up, the pool says which worker is missing.
        async with asyncio.timeout(60), httpx.AsyncClient() as client:
            while True:
                readiness = await client.get(f"{receivers.pool.url}/readyz")
                if readiness.status_code == 503:
                    break
                await asyncio.sleep(0.02)
        body = readiness.json()
        assert "workers" in body["error"]["failing"]
        assert "1 of 2 ready" in body["checks"]["workers"], body
        await receivers.pool.wait_ready()
        assert victim not in receivers.pool.workers()
        assert len(receivers.pool.workers()) == 2
        ready_at = len(accepted)
        async with asyncio.timeout(30):
            while len(accepted) < ready_at + 10 * EVENTS_PER_POST:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*posting)

    landed = await _landed(receivers, set(accepted))
    assert set(accepted) <= set(landed)
    # The dead worker's counts stay in the sum: the counter never goes down.
    counted_after, _ = await _scrape(receivers)
    assert counted_after >= counted_before + (len(accepted) - ready_at)


async def test_both_workers_serve_https_from_the_certificate_and_tell_plain_http_to_use_it(
    stack: Any, tmp_path: Path
) -> None:
    ca = CertificateAuthority(tmp_path / "ca")
    certificate = ca.issue("receiver")
    port = free_port()
    env = {
        "BARITO_WORKERS": "2",
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "BARITO_KAFKA__TOPIC_PREFIX": f"wtls{uuid.uuid4().hex[:8]}.",
        "BARITO_TLS_CERTFILE": str(certificate.certfile),
        "BARITO_TLS_KEYFILE": str(certificate.keyfile),
    }
    trust = ssl.create_default_context(cafile=str(ca.cafile))
    async with (
        worker_pool("receiver", port, env, tmp_path / "receiver.log", tls=trust) as pool,
        AsyncExitStack() as connections,
    ):
        clients: list[httpx.AsyncClient] = []
        # New connections until both workers hold some, each an HTTPS request answered.
        async with asyncio.timeout(60):
            while len(clients) < 2 or min(pool.connections(port).values()) == 0:
                client = await connections.enter_async_context(httpx.AsyncClient(verify=trust))
                clients.append(client)
                assert (await client.get(f"{pool.url}/healthz")).status_code == 200
        for _ in range(8):
            async with httpx.AsyncClient() as plain:
                refused = await plain.get(f"http://127.0.0.1:{port}/healthz")
            assert refused.status_code == 400
            assert refused.json()["error"]["code"] == "tls_required"
