"""Barito server: app factory, lifespan and entry point."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from barito_common.app_registry import AppRegistry
from barito_common.json_logging import configure_logging
from barito_common.kafka import KafkaProbe
from barito_common.service_app import Dependency, create_service_app
from barito_common.serving import serve_workers
from barito_server.alerts import AlertService
from barito_server.api.tail import router
from barito_server.market_access import MarketAccess
from barito_server.metrics import AlertMetrics, TailMetrics
from barito_server.reader_hub import ReaderHub
from barito_server.settings import ServerSettings, get_settings
from barito_server.tail_request import TailServices


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[list[Dependency]]:
        kafka = KafkaProbe(settings.kafka, timeout_s=settings.readiness_timeout_s)
        registry = AppRegistry(settings.kafka)
        metrics = TailMetrics.create(app.state.metrics)
        hub = ReaderHub(
            settings.kafka,
            metrics=metrics,
            max_clients=settings.max_clients,
            max_clients_per_app=settings.max_clients_per_app,
        )
        market_client = httpx.AsyncClient(
            base_url=settings.market_url, timeout=settings.market_timeout_s
        )
        market = MarketAccess(
            market_client,
            positive_s=settings.market_cache_s,
            negative_s=settings.market_negative_cache_s,
        )
        app.state.tail = TailServices(settings, registry, market, hub, metrics)
        alerts = None
        if settings.alerts_enabled:
            alert_metrics = AlertMetrics.create(app.state.metrics, errors=metrics.events.errors)
            alerts = AlertService(settings, registry, alert_metrics)
        app.state.alerts = alerts
        await registry.start()
        if alerts is not None:
            await alerts.start()
        sweeping = asyncio.create_task(
            hub.sweep_forever(registry, settings.cluster_sweep_s), name="cluster-sweep"
        )
        try:
            yield [
                Dependency("kafka", kafka.check),
                Dependency("app-registry", registry.check),
            ]
        finally:
            if alerts is not None:
                await alerts.stop()
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
            await hub.close()
            await market_client.aclose()
            await registry.stop()
            await kafka.close()

    app = create_service_app(service="server", settings=settings, lifespan=lifespan)
    app.include_router(router)
    return app


def uvicorn_extras(settings: ServerSettings) -> dict[str, Any]:
    """uvicorn's settings particular to the tail server."""
    return {
        # A tail never ends by itself: without this, uvicorn would wait for
        # every open stream forever at shutdown. Clients resume with their token.
        "timeout_graceful_shutdown": settings.shutdown_grace_s,
        "ws_per_message_deflate": settings.websocket_compression,
    }


def run() -> None:
    settings = get_settings()
    configure_logging("server", settings.log_level)
    serve_workers(
        create_app,
        settings,
        service="server",
        workers=settings.workers,
        **uvicorn_extras(settings),
    )


if __name__ == "__main__":
    run()
