"""Barito provisioner: app factory, lifespan and entry point.

At start-up the provisioner waits for Kafka, reads the app registry and its
own journal (the events topic) to their ends, and only then starts handling
commands and polling: a command handled before the journal is read could be
one already handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from barito_common.json_logging import configure_logging
from barito_common.kafka import KafkaProbe, Topics, create_producer
from barito_common.kafka_producer import RecoveringProducer
from barito_common.service_app import Dependency, create_service_app
from barito_common.serving import serve
from barito_provisioner.command_handler import CommandHandler, Reporter
from barito_provisioner.consumer.command_consumer import CommandConsumer
from barito_provisioner.drivers import PlacedDriver, create_driver
from barito_provisioner.event_publisher import EventPublisher
from barito_provisioner.group_apps import GroupApps
from barito_provisioner.journal import read_journal
from barito_provisioner.poller import Poller
from barito_provisioner.retry_policy import RetryPolicy
from barito_provisioner.settings import ProvisionerSettings, get_settings

log = logging.getLogger(__name__)


class JournalNotRead(RuntimeError):
    """The provisioner has not yet read its journal back from Kafka."""


class Provisioner:
    """The running parts, wired; ``run`` starts work once the journal is read."""

    def __init__(self, settings: ProvisionerSettings, driver: PlacedDriver) -> None:
        self.settings = settings
        self.topics = Topics(settings.kafka.topic_prefix)
        self.driver = driver
        self.apps = GroupApps(settings.kafka)
        self.producer = RecoveringProducer(lambda: create_producer(settings.kafka))
        self.ready = asyncio.Event()

    async def run(self) -> None:
        await self.apps.start()
        await self.producer.start_when_reachable()
        while True:
            try:
                journal = await read_journal(self.settings.kafka, self.topics)
                await self.apps.wait_loaded(timeout_s=60)
            except Exception as err:
                log.warning(
                    "Could not read the journal or the app registry yet; retrying.",
                    extra={"ctx": {"error": repr(err)}},
                )
                await asyncio.sleep(1)
            else:
                break
        reporter = Reporter(EventPublisher(self.producer, self.topics), journal)
        handler = CommandHandler(
            driver=self.driver,
            reporter=reporter,
            journal=journal,
            apps=self.apps,
            retry=RetryPolicy(
                attempts=self.settings.step_attempts,
                base_s=self.settings.retry_base_s,
                cap_s=self.settings.retry_cap_s,
            ),
        )
        consumer = CommandConsumer(
            self.settings.kafka, group_id=self.settings.consumer_group, handler=handler
        )
        poller = Poller(
            driver=self.driver,
            reporter=reporter,
            journal=journal,
            apps=self.apps,
            interval_s=self.settings.poll_interval_s,
        )
        self.ready.set()
        log.info("Provisioner started.", extra={"ctx": {"driver": self.driver.name}})
        await asyncio.gather(consumer.run_forever(), poller.run_forever())

    async def check(self) -> None:
        if not self.ready.is_set():
            raise JournalNotRead("still reading the provisioning events and the app registry")

    async def close(self) -> None:
        await self.producer.stop()
        await self.apps.stop()
        await self.driver.close()


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
