"""The provisioner's running parts: the journal read first, then commands and polling.

At start-up the provisioner waits for Kafka, reads the app registry and its
own journal (the events topic) to their ends, and only then starts handling
commands and polling: a command handled before the journal is read could be
one already handled.
"""

from __future__ import annotations

import asyncio
import logging

from barito_common.kafka import Backoff, Topics, create_producer, until_done
from barito_common.kafka.recovering_producer import RecoveringProducer
from barito_provisioner.command_handler import CommandHandler, Reporter
from barito_provisioner.consumer.command_consumer import command_loop
from barito_provisioner.drivers import PlacedDriver
from barito_provisioner.event_publisher import EventPublisher
from barito_provisioner.group_apps import GroupApps
from barito_provisioner.journal import Journal, read_journal
from barito_provisioner.poller import Poller
from barito_provisioner.retry_policy import RetryPolicy
from barito_provisioner.settings import ProvisionerSettings

__all__ = ["JournalNotRead", "Provisioner"]

log = logging.getLogger(__name__)

# The journal is read again every second until Kafka and the registry answer.
_JOURNAL_RETRY = Backoff(base_s=1.0, cap_s=1.0)


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
        journal = await until_done(
            self._read_journal,
            backoff=_JOURNAL_RETRY,
            doing="reading the journal and the app registry",
        )
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
        commands = command_loop(
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
        await asyncio.gather(commands.run(), poller.run_forever())

    async def _read_journal(self) -> Journal:
        journal = await read_journal(self.settings.kafka, self.topics)
        await self.apps.wait_loaded(timeout_s=60)
        return journal

    async def check(self) -> None:
        if not self.ready.is_set():
            raise JournalNotRead("still reading the provisioning events and the app registry")

    async def close(self) -> None:
        await self.producer.stop()
        await self.apps.stop()
        await self.driver.close()
