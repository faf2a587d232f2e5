"""Which partitions an app's topic has, asked of the Kafka that holds it.

One admin client per Kafka: the installation's lives as long as the server,
a dedicated cluster's is pooled (``barito_common.cluster_clients``) and closed
once no app names that cluster. Each is started at its first question, so a
server comes up while a Kafka is away, and a Kafka that is away is a 503 for
the tails of its own apps only.
"""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient

from barito_common.kafka import create_admin
from barito_common.settings import KafkaSettings

__all__ = ["PartitionLookup", "TopicMissing"]


class TopicMissing(Exception):
    """The app's log topic does not exist."""


class PartitionLookup:
    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._admin: AIOKafkaAdminClient | None = None
        # Two first tails at once would otherwise each start an admin client, one leaked.
        self._starting = asyncio.Lock()

    async def _started(self) -> AIOKafkaAdminClient:
        async with self._starting:
            if self._admin is None:
                admin = create_admin(self._settings)
                try:
                    await admin.start()
                except BaseException:
                    await admin.close()
                    raise
                self._admin = admin
            return self._admin

    async def partitions(self, topic: str) -> list[int]:
        admin = await self._started()
        (described,) = await admin.describe_topics([topic])
        partitions = sorted(p["partition"] for p in described.get("partitions", ()))
        if described.get("error_code") or not partitions:
            raise TopicMissing(f"the log topic {topic} does not exist")
        return partitions

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
