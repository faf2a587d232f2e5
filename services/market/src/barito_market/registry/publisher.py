"""The market's writes to Kafka: app profiles, provisioning commands, log topics.

The market is the only writer of app state (architecture §4). Every write
here waits for Kafka's acknowledgement, so a route that answers 2xx knows
the data path has (or will read) the change; if Kafka does not answer in
time the route answers 503 and its database transaction is rolled back.

Example::

    publisher = Publisher(settings.kafka, timeout_s=15)
    await publisher.ensure_log_topic("checkout", templates["small"], cluster=None)
    await publisher.publish_profile(profile)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from aiokafka.admin import AIOKafkaAdminClient

from barito_common.app_registry import apps_topic_spec
from barito_common.capacity import CapacityTemplate
from barito_common.clusters import kafka_settings_for
from barito_common.errors import ApiError
from barito_common.kafka import (
    Topics,
    TopicSpec,
    create_admin,
    create_producer,
    ensure_topics,
    log_topic_spec,
)
from barito_common.kafka.recovering_producer import RecoveringProducer
from barito_common.schemas import AppProfile, ClusterCoordinates, ProvisionCommand, to_bytes
from barito_common.settings import KafkaSettings

__all__ = ["Publisher"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class Publisher:
    def __init__(self, settings: KafkaSettings, *, timeout_s: float) -> None:
        self._settings = settings
        self._timeout_s = timeout_s
        self.topics = Topics(settings.topic_prefix)
        self._producer = RecoveringProducer(lambda: create_producer(settings))
        self._starting: asyncio.Task[None] | None = None
        self._control_topics_ready = False

    async def start(self) -> None:
        """Start reaching for Kafka in the background; a down Kafka never stops start-up."""
        self._starting = asyncio.create_task(
            self._producer.start_when_reachable(), name="market-producer-start"
        )

    async def stop(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
        await self._producer.stop()

    async def _bounded(self, awaitable: Awaitable[T], doing: str) -> T:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await awaitable
        except Exception as err:
            log.warning(
                "Kafka did not take a market write.",
                extra={"ctx": {"doing": doing, "error": repr(err)}},
            )
            raise ApiError(
                503,
                f"Kafka did not answer while {doing}; nothing was changed. Try again shortly.",
                headers={"Retry-After": "5"},
            ) from err

    async def _admin(self, settings: KafkaSettings) -> AIOKafkaAdminClient:
        admin = create_admin(settings)
        await admin.start()
        return admin

    async def _ensure(
        self,
        specs: list[TopicSpec],
        *,
        brokers_cap: bool,
        cluster: ClusterCoordinates | None = None,
    ) -> None:
        admin = await self._admin(kafka_settings_for(self._settings, cluster))
        try:
            if brokers_cap:
                brokers = len((await admin.describe_cluster()).get("brokers") or []) or 1
                specs = [
                    TopicSpec(
                        spec.name,
                        partitions=spec.partitions,
                        replication=min(spec.replication, brokers),
                        config=spec.config,
                    )
                    for spec in specs
                ]
            await ensure_topics(admin, specs)
        finally:
            await admin.close()

    async def _ensure_control_topics(self) -> None:
        # The apps topic must exist as compacted before the first write, or
        # the broker's auto-creation would make it an ordinary topic.
        if not self._control_topics_ready:
            specs = [apps_topic_spec(self.topics), TopicSpec(self.topics.provisioning_commands)]
            await self._ensure(specs, brokers_cap=False)
            self._control_topics_ready = True

    async def ensure_log_topic(
        self, slug: str, template: CapacityTemplate, *, cluster: ClusterCoordinates | None
    ) -> None:
        """Create the app's log topic if missing, sized by its template.

        On ``cluster``'s Kafka when the app's group has one, else on the
        installation's. The replication factor is capped by the brokers
        present, so the single-broker local stack can hold a medium or large app.
        """
        spec = log_topic_spec(
            self.topics,
            slug,
            partitions=template.kafka.partitions,
            replication=template.kafka.replication,
        )
        await self._bounded(
            self._ensure([spec], brokers_cap=True, cluster=cluster), "creating the log topic"
        )

    async def publish_profile(self, profile: AppProfile) -> None:
        async def write() -> None:
            await self._ensure_control_topics()
            await self._producer.started.wait()
            # The same record barito_common.app_registry.publish_profile writes.
            await self._producer.send_and_wait(
                self.topics.apps, to_bytes(profile), key=profile.app_id.encode()
            )

        await self._bounded(write(), "publishing the app profile")

    async def publish_tombstone(self, app_id: str) -> None:
        """Remove an app from the registry for good (compaction drops it)."""

        async def write() -> None:
            await self._ensure_control_topics()
            await self._producer.started.wait()
            await self._producer.send_and_wait(self.topics.apps, None, key=app_id.encode())  # type: ignore[arg-type]

        await self._bounded(write(), "removing the app from the registry")

    async def publish_command(self, command: ProvisionCommand) -> None:
        async def write() -> None:
            await self._ensure_control_topics()
            await self._producer.started.wait()
            await self._producer.send_and_wait(
                self.topics.provisioning_commands,
                to_bytes(command),
                key=command.infrastructure_id.encode(),
            )

        await self._bounded(write(), "publishing the provisioning command")
