"""Shared readers by app and cluster, started with the first client and stopped after the last.

A reader reads the app's topic on the Kafka of the app's cluster (its
dedicated group's, else the installation's). Readers are keyed by app and
cluster, so when an app moves to another cluster, new clients get a reader
there while those already connected keep the old one until they leave.

The hub also enforces the concurrency limits: a slot is taken synchronously
(no await between the check and the count), so a burst of connections can
never overshoot the limit, and a refused client gets a 429 at once rather
than a hang.

Exceptions::

    Exception
    ├── TailLimitReached   too many tails, of this app or in this process
    └── TopicMissing       the app's topic does not exist (yet)
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from barito_common.app_registry import AppRegistry
from barito_common.cluster_clients import ClusterClients
from barito_common.clusters import cluster_key, kafka_settings_for
from barito_common.schemas import ClusterCoordinates
from barito_common.settings import KafkaSettings
from barito_server.metrics import TailMetrics
from barito_server.partition_lookup import PartitionLookup, TopicMissing
from barito_server.topic_reader import TopicReader

__all__ = ["ReaderHub", "TailLimitReached", "TopicMissing"]

log = logging.getLogger(__name__)


class TailLimitReached(Exception):
    """No slot for another tail; the message names the limit."""


@dataclass
class _Shared:
    clients: int = 0
    reader: TopicReader | None = None
    starting: asyncio.Lock = field(default_factory=asyncio.Lock)


class ReaderHub:
    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        metrics: TailMetrics,
        max_clients: int,
        max_clients_per_app: int,
    ) -> None:
        self._kafka = kafka
        self._metrics = metrics
        self._max_clients = max_clients
        self._max_per_app = max_clients_per_app
        self._readers: dict[tuple[str, str | None], _Shared] = {}
        self._app_clients: Counter[str] = Counter()
        self._clients = 0
        self._installation = PartitionLookup(kafka)
        self._lookups: ClusterClients[PartitionLookup] = ClusterClients(
            kafka, open=PartitionLookup, close=PartitionLookup.close
        )

    def readers(self) -> int:
        return sum(1 for shared in self._readers.values() if shared.reader is not None)

    @asynccontextmanager
    async def join(
        self, app: str, topic: str, cluster: ClusterCoordinates | None = None
    ) -> AsyncIterator[TopicReader]:
        """A slot for one client and the app's running reader; both released on exit.

        The reader reads ``topic`` on ``cluster``'s Kafka (None: the installation's).
        """
        if self._clients >= self._max_clients:
            raise TailLimitReached(
                f"This server already serves {self._max_clients} tails, its limit; "
                "retry later or use another server."
            )
        if self._app_clients[app] >= self._max_per_app:
            raise TailLimitReached(
                f"App '{app}' already has {self._max_per_app} tails on this server, the "
                "limit per app; close one or retry later."
            )
        key = (app, cluster_key(cluster))
        shared = self._readers.setdefault(key, _Shared())
        shared.clients += 1
        self._app_clients[app] += 1
        self._clients += 1
        self._metrics.clients.labels(app).inc()
        try:
            async with shared.starting:
                if shared.reader is None:
                    reader = TopicReader(
                        kafka_settings_for(self._kafka, cluster),
                        app=app,
                        topic=topic,
                        partitions=await self._partitions(topic, cluster),
                        metrics=self._metrics,
                    )
                    await reader.start()
                    shared.reader = reader
            yield shared.reader
        finally:
            shared.clients -= 1
            self._app_clients[app] -= 1
            if not self._app_clients[app]:
                del self._app_clients[app]
            self._clients -= 1
            self._metrics.clients.labels(app).dec()
            if shared.clients == 0:
                # Forget the entry before awaiting the stop, so a client that
                # arrives meanwhile starts a fresh reader instead of this one.
                if self._readers.get(key) is shared:
                    del self._readers[key]
                if shared.reader is not None:
                    await shared.reader.stop()

    async def _partitions(self, topic: str, cluster: ClusterCoordinates | None) -> list[int]:
        lookup = self._installation if cluster is None else self._lookups.get(cluster)
        return await lookup.partitions(topic)

    def clusters(self) -> set[str]:
        """The dedicated clusters this hub holds an admin client of (their bootstrap lists)."""
        return self._lookups.keys()

    async def sweep_forever(self, registry: AppRegistry, interval_s: float) -> None:
        """Close the admin clients of clusters no app names any more."""
        await self._lookups.sweep_forever(registry, interval_s)

    async def close(self) -> None:
        await self._lookups.close()
        await self._installation.close()
