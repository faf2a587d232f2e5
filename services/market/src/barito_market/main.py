"""Barito market: app factory, lifespan and entry point."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from barito_common.capacity import load_templates
from barito_common.json_logging import configure_logging
from barito_common.kafka import KafkaProbe
from barito_common.service_app import Dependency, create_service_app
from barito_common.serving import serve
from barito_market.api import (
    admin,
    alerts,
    apps,
    audit,
    auth,
    deletions,
    groups,
    installation,
    oidc,
    redactions,
    search,
    status,
    storage,
    tokens,
)
from barito_market.client_address import ClientAddressMiddleware
from barito_market.db import DatabaseProbe, create_engine, create_sessionmaker
from barito_market.migrations import upgrade_engine
from barito_market.observers import start_observers
from barito_market.registry.publisher import Publisher
from barito_market.security_headers import SecurityHeadersMiddleware, content_security_policies
from barito_market.settings import MarketSettings, get_settings
from barito_market.spa import install_spa


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for module in (auth, tokens, oidc, groups, apps, status, search, admin, installation, audit):
        router.include_router(module.router)
    router.include_router(deletions.router)
    router.include_router(alerts.router)
    router.include_router(storage.router)
    router.include_router(redactions.router)
    return router


def create_app(settings: MarketSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[list[Dependency]]:
        # Templates are read first: a broken template file stops start-up
        # with its name rather than failing the first registration.
        app.state.templates = load_templates(settings.capacity_templates_dir)
        kafka = KafkaProbe(settings.kafka, timeout_s=settings.readiness_timeout_s)
        engine = create_engine(settings)
        await upgrade_engine(engine)
        app.state.sessionmaker = create_sessionmaker(engine)
        publisher = Publisher(settings.kafka, timeout_s=settings.kafka_timeout_s)
        app.state.publisher = publisher
        await publisher.start()
        observers = await start_observers(app, settings)
        database = DatabaseProbe(engine)
        try:
            yield [Dependency("kafka", kafka.check), Dependency(database.name, database.check)]
        finally:
            await observers.stop()
            await publisher.stop()
            await kafka.close()
            await engine.dispose()

    app = create_service_app(service="market", settings=settings, lifespan=lifespan)
    app.add_middleware(ClientAddressMiddleware)
    # Outermost of the app's own middleware: every answer, errors included, gets the headers.
    app.add_middleware(SecurityHeadersMiddleware, policies=content_security_policies(settings))
    app.include_router(api_router())
    install_spa(app)  # last: its catch-all must not shadow any route above
    return app


def run() -> None:
    settings = get_settings()
    configure_logging("market", settings.log_level)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    run()
