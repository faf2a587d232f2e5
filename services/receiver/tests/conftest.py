"""A real receiver (in-process ASGI) on the real Kafka of the local stack.

Each test module gets its own topic prefix, so its apps, log topics and usage
topic are its own; ``apps.register`` plays the market's part by publishing an
AppProfile to the registry topic and creating the log topic, as the contract
says. A module may override ``receiver_settings`` to tune its receiver, and
start more receivers (on other Kafkas) with ``start_receiver``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from barito_common.settings import KafkaSettings
from barito_receiver.settings import ReceiverSettings
from barito_testing.apps import Apps
from barito_testing.receiver import in_process_receiver


@dataclass
class Receiver:
    client: httpx.AsyncClient
    apps: Apps
    settings: ReceiverSettings
    app: FastAPI


StartReceiver = Callable[..., AbstractAsyncContextManager[Receiver]]


@asynccontextmanager
async def _running_receiver(bootstrap_servers: str, **overrides: Any) -> AsyncIterator[Receiver]:
    kafka = KafkaSettings(
        bootstrap_servers=bootstrap_servers, topic_prefix=f"r{uuid.uuid4().hex[:8]}."
    )
    settings = {"usage_window_s": 1.0, "produce_timeout_s": 5.0, **overrides}
    async with in_process_receiver(kafka, **settings) as receiver:
        apps = Apps(kafka, receiver.registry)
        await apps.producer.start()
        try:
            yield Receiver(receiver.client, apps, receiver.settings, receiver.app)
        finally:
            await apps.producer.stop()


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    """ReceiverSettings fields this module's receiver sets (overridden per module)."""
    return {}


@pytest.fixture(scope="session")
def start_receiver() -> StartReceiver:
    """``async with start_receiver(bootstrap, **settings) as receiver``: one more receiver."""
    return _running_receiver


@pytest.fixture(scope="module")
async def receiver(stack: Any, receiver_settings: dict[str, Any]) -> AsyncIterator[Receiver]:
    async with _running_receiver(stack.kafka_bootstrap, **receiver_settings) as receiver:
        yield receiver
