"""Barito flow: app factory, lifespan and entry point."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from barito_common.json_logging import configure_logging
from barito_common.kafka import KafkaProbe
from barito_common.search import create_search_adapter
from barito_common.service_app import Dependency, create_service_app
from barito_flow.settings import FlowSettings, get_settings


def create_app(settings: FlowSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[list[Dependency]]:
        kafka = KafkaProbe(settings.kafka, timeout_s=settings.readiness_timeout_s)
        search = create_search_adapter(settings.search)
        try:
            yield [
                Dependency("kafka", kafka.check),
                Dependency(settings.search.engine, search.ping),
            ]
        finally:
            await kafka.close()
            await search.close()

    return create_service_app(service="flow", settings=settings, lifespan=lifespan)


def run() -> None:
    settings = get_settings()
    configure_logging("flow", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    run()
