"""Barito market: app factory, lifespan and entry point."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from barito_common.json_logging import configure_logging
from barito_common.kafka import KafkaProbe
from barito_common.service_app import Dependency, create_service_app
from barito_market.db import DatabaseProbe, create_engine
from barito_market.settings import MarketSettings, get_settings


def create_app(settings: MarketSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[list[Dependency]]:
        kafka = KafkaProbe(settings.kafka, timeout_s=settings.readiness_timeout_s)
        engine = create_engine(settings)
        database = DatabaseProbe(engine)
        try:
            yield [Dependency("kafka", kafka.check), Dependency(database.name, database.check)]
        finally:
            await kafka.close()
            await engine.dispose()

    return create_service_app(service="market", settings=settings, lifespan=lifespan)


def run() -> None:
    settings = get_settings()
    configure_logging("market", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    run()
