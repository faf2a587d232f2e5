"""A real receiver (in-process ASGI) on the real Kafka of the local stack.

Each test module gets its own topic prefix, so its apps, log topics and usage
topic are its own; ``apps.register`` plays the market's part by publishing an
AppProfile to the registry topic and creating the log topic, as the contract
says.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from barito_common.app_registry import AppRegistry
from barito_common.settings import KafkaSettings
from barito_receiver.main import create_app
from barito_receiver.settings import ReceiverSettings
from tests.support.apps import Apps


@dataclass
class Receiver:
    client: httpx.AsyncClient
    apps: Apps
    settings: ReceiverSettings


@pytest.fixture(scope="module")
async def receiver(stack: Any) -> AsyncIterator[Receiver]:
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"r{uuid.uuid4().hex[:8]}."
    )
    settings = ReceiverSettings(kafka=kafka, usage_window_s=1.0, produce_timeout_s=5.0)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        registry: AppRegistry = app.state.registry
        await registry.wait_loaded(30)
        apps = Apps(kafka, registry)
        await apps.producer.start()
        transport = httpx.ASGITransport(app=manager.app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as c:
                yield Receiver(c, apps, settings)
        finally:
            await apps.producer.stop()
