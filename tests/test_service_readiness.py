"""Every service reports its real dependencies on /readyz, and recovers with them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from barito_cli.stack.manager import stack_down, stack_up
from barito_flow.main import create_app as create_flow
from barito_flow.settings import FlowSettings
from barito_market.main import create_app as create_market
from barito_market.settings import MarketSettings
from barito_provisioner.main import create_app as create_provisioner
from barito_provisioner.settings import ProvisionerSettings
from barito_receiver.main import create_app as create_receiver
from barito_receiver.settings import ReceiverSettings
from barito_server.main import create_app as create_server
from barito_server.settings import ServerSettings

pytestmark = pytest.mark.stack


def _apps(stack: Any) -> dict[str, Callable[[], FastAPI]]:
    kafka = {"bootstrap_servers": stack.kafka_bootstrap}
    database = stack.postgres_url.replace("postgresql://", "postgresql+asyncpg://")
    return {
        "market": lambda: create_market(
            MarketSettings(kafka=kafka, database={"url": database})  # type: ignore[arg-type]
        ),
        "receiver": lambda: create_receiver(ReceiverSettings(kafka=kafka)),  # type: ignore[arg-type]
        "provisioner": lambda: create_provisioner(
            ProvisionerSettings(kafka=kafka)  # type: ignore[arg-type]
        ),
        "flow": lambda: create_flow(
            FlowSettings(kafka=kafka, search={"url": stack.elasticsearch_url})  # type: ignore[arg-type]
        ),
        "server": lambda: create_server(ServerSettings(kafka=kafka)),  # type: ignore[arg-type]
    }


@pytest.fixture
async def clients(stack: Any) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    async with AsyncExitStack() as exits:
        clients = {}
        for name, factory in _apps(stack).items():
            manager = await exits.enter_async_context(
                LifespanManager(factory(), startup_timeout=30, shutdown_timeout=30)
            )
            transport = httpx.ASGITransport(app=manager.app)
            clients[name] = await exits.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=f"http://{name}")
            )
        for client in clients.values():
            await _ready(client)
        yield clients


async def _ready(client: httpx.AsyncClient, wait_s: float = 30) -> httpx.Response:
    """/readyz once it answers 200, or its last answer after ``wait_s``.

    Like an orchestrator, a test waits for readiness: the receiver first reads
    the whole app registry, and on a loaded machine one probe may time out.
    """
    deadline = asyncio.get_running_loop().time() + wait_s
    while (response := await client.get("/readyz")).status_code != 200:
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    return response


async def test_every_service_is_alive_ready_and_exports_metrics(clients) -> None:
    for name, client in clients.items():
        assert (await client.get("/healthz")).json() == {"status": "ok", "service": name}
        ready = await _ready(client)
        assert ready.status_code == 200, (name, ready.text)
        assert ready.json()["status"] == "ready"
        assert ready.json()["checks"]["kafka"] == "ok"
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert f'barito_service_info{{service="{name}"}} 1.0' in metrics.text
        # The readiness probe just answered, so the request counter has seen it.
        assert 'barito_http_requests_total{method="GET",route="/readyz",status="200"}' in (
            metrics.text
        )


async def test_each_service_names_its_own_dependencies(clients) -> None:
    checks = {name: (await _ready(c)).json()["checks"] for name, c in clients.items()}
    assert set(checks["market"]) == {"kafka", "postgres"}
    assert set(checks["flow"]) == {"kafka", "elasticsearch", "app-registry"}
    assert set(checks["receiver"]) == {"kafka", "app-registry", "rate-budget"}
    assert set(checks["server"]) == {"kafka", "app-registry"}
    # The journal is the events topic read back; the driver is the shared cluster.
    assert set(checks["provisioner"]) == {"kafka", "journal", "driver-shared"}


async def test_unknown_path_answers_a_json_error(clients) -> None:
    response = await clients["receiver"].get("/no/such/path")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.disruptive
async def test_readyz_names_kafka_while_it_is_down_and_recovers_without_restart(
    stack, clients
) -> None:
    for client in clients.values():
        assert (await _ready(client)).status_code == 200
    await asyncio.to_thread(stack_down, stack.config, ["kafka"], echo=print)
    try:
        for name, client in clients.items():
            response = await client.get("/readyz")
            assert response.status_code == 503, name
            body = response.json()
            assert "kafka" in body["error"]["failing"], (name, body)
            assert "kafka" in body["error"]["message"]
    finally:
        await asyncio.to_thread(stack_up, stack.config, ["kafka"], echo=print)
    # The same app objects, never restarted, report ready once their clients reconnect.
    pending = set(clients)
    async with asyncio.timeout(60):
        while pending:
            for name in list(pending):
                if (await clients[name].get("/readyz")).status_code == 200:
                    pending.discard(name)
            await asyncio.sleep(0.5)
