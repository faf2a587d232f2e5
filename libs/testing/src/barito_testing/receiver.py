"""The receiver harness: a real receiver app in this event loop, on a real Kafka.

Its lifespan runs (producer started, registry loaded), and ``client`` reaches
it in-process over ASGI; tests that need a socket serve ``app`` with
:func:`barito_testing.serving.serve` (``lifespan="off"``, it already runs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from barito_common.app_registry import AppRegistry
from barito_common.settings import KafkaSettings
from barito_receiver.main import create_app
from barito_receiver.settings import ReceiverSettings

__all__ = ["InProcessReceiver", "in_process_receiver"]


@dataclass
class InProcessReceiver:
    client: httpx.AsyncClient
    settings: ReceiverSettings
    app: FastAPI
    registry: AppRegistry


@asynccontextmanager
async def in_process_receiver(
    kafka: KafkaSettings, *, registry_loaded: bool = True, **overrides: Any
) -> AsyncIterator[InProcessReceiver]:
    """A started receiver with ``ReceiverSettings(kafka=kafka, **overrides)``.

    ``registry_loaded=False`` does not wait for the app registry: for a
    receiver whose Kafka refuses it, to see what it answers then.
    """
    settings = ReceiverSettings(kafka=kafka, **overrides)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        registry: AppRegistry = app.state.registry
        if registry_loaded:
            await registry.wait_loaded(30)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            yield InProcessReceiver(client, settings, app, registry)
