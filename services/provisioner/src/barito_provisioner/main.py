"""Barito provisioner: app factory, lifespan and entry point.

The work itself is :class:`~barito_provisioner.provisioner.Provisioner`'s:
the journal read first, then commands and polling. This module wires it to
the driver and to /readyz.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from barito_common.json_logging import configure_logging
from barito_common.kafka import KafkaProbe
from barito_common.service_app import Dependency, create_service_app
from barito_common.serving import serve
from barito_provisioner.drivers import create_driver
from barito_provisioner.provisioner import Provisioner
from barito_provisioner.settings import ProvisionerSettings, get_settings


def create_app(settings: ProvisionerSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[list[Dependency]]:
        kafka = KafkaProbe(settings.kafka, timeout_s=settings.readiness_timeout_s)
        driver = create_driver(settings)
        provisioner = Provisioner(settings, driver)
        app.state.provisioner = provisioner
        running = asyncio.create_task(provisioner.run(), name="provisioner")
        dependencies = [
            Dependency("kafka", kafka.check),
            Dependency("journal", provisioner.check),
            Dependency("driver-shared", driver.shared.check),
        ]
        if driver.dedicated is not None:
            dependencies.append(Dependency(f"driver-{settings.driver}", driver.dedicated.check))
        try:
            yield dependencies
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            await provisioner.close()
            await kafka.close()

    return create_service_app(service="provisioner", settings=settings, lifespan=lifespan)


def run() -> None:
    settings = get_settings()
    configure_logging("provisioner", settings.log_level)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    run()
