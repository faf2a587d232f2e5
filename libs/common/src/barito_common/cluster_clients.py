"""One Kafka client per dedicated cluster: opened when an app first needs it, closed once unused.

The receiver keeps a producer per cluster, the tail server an admin client;
both pool them here, keyed by :func:`barito_common.clusters.cluster_key`, so
profiles naming the same brokers share one client. The installation's own
cluster is not pooled: its clients live as long as the service.

A client is closed by :meth:`ClusterClients.sweep_forever` once no app in the
registry (deleted ones aside) names its cluster any more: a group moved off
a cluster, or deleted, must not keep a connection to it open for ever.

Example::

    producers = ClusterClients(settings.kafka, open=open_producer, close=close_producer)
    producer = producers.get(profile.cluster)
    asyncio.create_task(producers.sweep_forever(registry, interval_s=30))
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from barito_common.app_registry import AppRegistry
from barito_common.clusters import cluster_key, kafka_settings_for
from barito_common.schemas import AppProfile, AppStatus, ClusterCoordinates
from barito_common.settings import KafkaSettings

__all__ = ["ClusterClients", "clusters_in_use"]

log = logging.getLogger(__name__)

C = TypeVar("C")


def clusters_in_use(profiles: Iterable[AppProfile]) -> set[str]:
    """The keys of the dedicated clusters that apps which are not deleted name."""
    return {
        key
        for profile in profiles
        if profile.status is not AppStatus.DELETED
        and (key := cluster_key(profile.cluster)) is not None
    }


class ClusterClients(Generic[C]):
    """Clients by cluster key; ``open`` gets the installation's settings pointed at the cluster."""

    def __init__(
        self,
        base: KafkaSettings,
        *,
        open: Callable[[KafkaSettings], C],
        close: Callable[[C], Awaitable[None]],
    ) -> None:
        self._base = base
        self._open = open
        self._close = close
        self._clients: dict[str, C] = {}

    def get(self, cluster: ClusterCoordinates) -> C:
        """The cluster's client, opened now if it has none (no await: callers never race)."""
        key = cluster_key(cluster)
        if key is None:
            # Callers route the installation's own cluster to its own clients.
            raise ValueError("the installation's cluster has no pooled client")
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._open(kafka_settings_for(self._base, cluster))
            log.info("Opened a client of a dedicated cluster.", extra={"ctx": {"cluster": key}})
        return client

    def keys(self) -> set[str]:
        return set(self._clients)

    async def close_unused(self, in_use: set[str]) -> None:
        # Popped before the await, so a request arriving meanwhile opens a
        # fresh client instead of getting one that is being closed.
        for key in [key for key in self._clients if key not in in_use]:
            client = self._clients.pop(key)
            try:
                await self._close(client)
            except Exception as err:
                log.warning(
                    "Closing the client of a cluster failed.",
                    extra={"ctx": {"cluster": key, "error": repr(err)}},
                )
            else:
                log.info(
                    "Closed the client of a cluster no app names any more.",
                    extra={"ctx": {"cluster": key}},
                )

    async def sweep_forever(self, registry: AppRegistry, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            # A registry still loading knows only some apps: closing by it
            # could drop a client that an app it has not read yet still uses.
            if registry.loaded:
                await self.close_unused(clusters_in_use(registry.apps()))

    async def close(self) -> None:
        await self.close_unused(set())
