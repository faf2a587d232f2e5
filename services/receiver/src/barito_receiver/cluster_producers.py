"""Which producer writes an app's chunks: its dedicated cluster's, or the installation's.

A dedicated group's logs go to its own cluster's Kafka and nowhere else
(architecture §3): when that Kafka does not answer, the app gets a 503 and its
chunks are never written to the installation's Kafka instead, where neither
its flow nor its tail would read them. Usage reports and the registry stay on
the installation's Kafka; only log chunks travel per cluster.

A cluster's producer is made when an app first needs it and reaches its
Kafka in the background, with the same acks=all, idempotence, compression and
recovery (:class:`RecoveringProducer`) as the installation's. A request that
finds it still connecting waits ``connect_wait_s`` at most: a cluster that is
down then costs its own apps a prompt 503, and no other app anything. The
producer is closed once no app in the registry names its cluster
(:meth:`ClusterProducers.sweep_forever`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from barito_common.app_registry import AppRegistry
from barito_common.cluster_clients import ClusterClients
from barito_common.kafka.recovering_producer import RecoveringProducer
from barito_common.schemas import AppProfile
from barito_common.settings import KafkaSettings

__all__ = ["ClusterProducers"]

ProducerFactory = Callable[[KafkaSettings], AIOKafkaProducer]


@dataclass
class _ClusterProducer:
    producer: RecoveringProducer
    starting: asyncio.Task[None]

    @classmethod
    def open(cls, kafka: KafkaSettings, factory: ProducerFactory) -> _ClusterProducer:
        producer = RecoveringProducer(lambda: factory(kafka))
        starting = asyncio.create_task(
            producer.start_when_reachable(), name=f"kafka-start-{kafka.bootstrap_servers}"
        )
        return cls(producer, starting)

    async def close(self) -> None:
        self.starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.starting
        # Waits for the chunks already sent: a request still holding this
        # producer gets its acknowledgement (or its 503) before the close ends.
        await self.producer.stop()


class ClusterProducers:
    def __init__(
        self,
        installation: RecoveringProducer,
        kafka: KafkaSettings,
        *,
        factory: ProducerFactory,
        connect_wait_s: float,
    ) -> None:
        self.installation = installation
        self._connect_wait_s = connect_wait_s
        self._pool: ClusterClients[_ClusterProducer] = ClusterClients(
            kafka,
            open=lambda settings: _ClusterProducer.open(settings, factory),
            close=_ClusterProducer.close,
        )

    async def for_app(self, app: AppProfile) -> RecoveringProducer:
        """The producer of the app's cluster; it may still be unready (its sends then fail)."""
        if app.cluster is None:
            return self.installation
        producer = self._pool.get(app.cluster).producer
        if not producer.started.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._connect_wait_s):
                    await producer.started.wait()
        return producer

    def clusters(self) -> set[str]:
        """The clusters that have a producer now (their bootstrap lists)."""
        return self._pool.keys()

    async def sweep_forever(self, registry: AppRegistry, interval_s: float) -> None:
        await self._pool.sweep_forever(registry, interval_s)

    async def close(self) -> None:
        """Close the clusters' producers; the installation's is the lifespan's to close."""
        await self._pool.close()
