"""Kafka clients built the one way Barito uses them.

Every topic name comes from :class:`Topics`, so the configurable prefix is
applied everywhere. Producers are idempotent with ``acks=all``: the receiver
answers a client only after the write is on every in-sync replica, and a
retried send after a lost ack never duplicates a chunk.

Example::

    topics = Topics(settings.kafka.topic_prefix)
    producer = create_producer(settings.kafka)
    await producer.start()
    await producer.send_and_wait(topics.logs("checkout"), chunk)
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from barito_common.settings import KafkaSettings

__all__ = [
    "KafkaProbe",
    "KafkaUnavailable",
    "TopicSpec",
    "Topics",
    "create_admin",
    "create_consumer",
    "create_producer",
    "create_topics_if_missing",
    "ensure_topics",
    "log_topic_spec",
    "usage_topic_spec",
]


class KafkaUnavailable(RuntimeError):
    """The brokers did not answer within the allotted time."""


@dataclass(frozen=True)
class Topics:
    """Names of every Barito topic under one installation prefix."""

    prefix: str = "barito."

    @property
    def apps(self) -> str:
        return f"{self.prefix}apps"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}logs.dlq"

    @property
    def provisioning_commands(self) -> str:
        return f"{self.prefix}provisioning.commands"

    @property
    def provisioning_events(self) -> str:
        return f"{self.prefix}provisioning.events"

    @property
    def usage(self) -> str:
        return f"{self.prefix}usage"

    def logs(self, app_slug: str) -> str:
        return f"{self.prefix}logs.{app_slug}"

    @property
    def logs_pattern(self) -> str:
        """Regex matching every app log topic and not the dead-letter topic."""
        return rf"^{re.escape(self.prefix)}logs\.(?!dlq$)[a-z0-9-]+$"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    replication: int = 1
    config: tuple[tuple[str, str], ...] = ()


# A chunk is capped at 1 MiB of events (the receiver's per-event limit); the
# Kafka record around it adds headers, so app topics allow twice that.
LOG_TOPIC_MAX_MESSAGE_BYTES = 2 * 1024 * 1024


def usage_topic_spec(topics: Topics) -> TopicSpec:
    # Usage reports are keyed by app, so each app's windows stay in order.
    return TopicSpec(topics.usage, partitions=3, config=(("retention.ms", str(7 * 86_400_000)),))


def log_topic_spec(
    topics: Topics, app_slug: str, *, partitions: int, replication: int
) -> TopicSpec:
    """How an app's log topic is created, by the provisioner and by tests alike."""
    return TopicSpec(
        topics.logs(app_slug),
        partitions=partitions,
        replication=replication,
        config=(("max.message.bytes", str(LOG_TOPIC_MAX_MESSAGE_BYTES)),),
    )


def _common(settings: KafkaSettings) -> dict[str, Any]:
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": settings.client_id,
        "request_timeout_ms": settings.request_timeout_ms,
    }


def create_producer(settings: KafkaSettings, **overrides: Any) -> AIOKafkaProducer:
    """An idempotent producer that waits for all in-sync replicas."""
    options: dict[str, Any] = {
        **_common(settings),
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "max_request_size": 8 * 1024 * 1024,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def create_consumer(
    settings: KafkaSettings, *topics: str, group_id: str | None, **overrides: Any
) -> AIOKafkaConsumer:
    """A consumer that commits only when told: offsets follow durable work."""
    options: dict[str, Any] = {
        **_common(settings),
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


def create_admin(settings: KafkaSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**_common(settings))


async def ensure_topics(admin: AIOKafkaAdminClient, specs: Iterable[TopicSpec]) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    wanted = list(specs)
    existing = set(await admin.list_topics())
    missing = [
        NewTopic(
            name=spec.name,
            num_partitions=spec.partitions,
            replication_factor=spec.replication,
            topic_configs=dict(spec.config),
        )
        for spec in wanted
        if spec.name not in existing
    ]
    if not missing:
        return
    # Another process may create one between our listing and our request.
    with contextlib.suppress(TopicAlreadyExistsError):
        await admin.create_topics(missing)


async def create_topics_if_missing(settings: KafkaSettings, specs: Iterable[TopicSpec]) -> None:
    """Open an admin client just long enough to :func:`ensure_topics`."""
    admin = create_admin(settings)
    await admin.start()
    try:
        await ensure_topics(admin, specs)
    finally:
        await admin.close()


class KafkaProbe:
    """Answers "do the brokers answer now?" for /readyz, through one admin client.

    Start-up never fails when the brokers are down: a service must come up and
    report "not ready" rather than crash-loop while Kafka restarts. An admin
    client whose start failed is replaced on the next check.
    """

    def __init__(self, settings: KafkaSettings, *, timeout_s: float) -> None:
        self._settings = settings
        self._timeout_s = timeout_s
        self._admin: AIOKafkaAdminClient | None = None

    async def _started_admin(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = create_admin(self._settings)
            try:
                await admin.start()
            except Exception:
                await admin.close()
                raise
            self._admin = admin
        return self._admin

    async def check(self) -> None:
        try:
            async with asyncio.timeout(self._timeout_s):
                admin = await self._started_admin()
                description = await admin.describe_cluster()
        except TimeoutError as err:
            raise KafkaUnavailable(
                f"no answer from {self._settings.bootstrap_servers} within {self._timeout_s:g}s"
            ) from err
        except Exception as err:
            raise KafkaUnavailable(
                f"{self._settings.bootstrap_servers} did not answer: {err!r}"
            ) from err
        if not description.get("brokers"):
            raise KafkaUnavailable("the cluster reports no live brokers")

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
