"""Shared readers by app, started with the first client and stopped after the last.

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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient

from barito_common.kafka import create_admin
from barito_common.settings import KafkaSettings
from barito_server.metrics import TailMetrics
from barito_server.topic_reader import TopicReader

__all__ = ["ReaderHub", "TailLimitReached", "TopicMissing"]

log = logging.getLogger(__name__)


class TailLimitReached(Exception):
    """No slot for another tail; the message names the limit."""


class TopicMissing(Exception):
    """The app's log topic does not exist."""


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
        self._apps: dict[str, _Shared] = {}
        self._clients = 0
        self._admin: AIOKafkaAdminClient | None = None

    def readers(self) -> int:
        return sum(1 for shared in self._apps.values() if shared.reader is not None)

    @asynccontextmanager
    async def join(self, app: str, topic: str) -> AsyncIterator[TopicReader]:
        """A slot for one client and the app's running reader; both released on exit."""
        if self._clients >= self._max_clients:
            raise TailLimitReached(
                f"This server already serves {self._max_clients} tails, its limit; "
                "retry later or use another server."
            )
        shared = self._apps.setdefault(app, _Shared())
        if shared.clients >= self._max_per_app:
            raise TailLimitReached(
                f"App '{app}' already has {self._max_per_app} tails on this server, the "
                "limit per app; close one or retry later."
            )
        shared.clients += 1
        self._clients += 1
        self._metrics.clients.labels(app).inc()
        try:
            async with shared.starting:
                if shared.reader is None:
                    reader = TopicReader(
                        self._kafka,
                        app=app,
                        topic=topic,
                        partitions=await self._partitions(topic),
                        metrics=self._metrics,
                    )
                    await reader.start()
                    shared.reader = reader
            yield shared.reader
        finally:
            shared.clients -= 1
            self._clients -= 1
            self._metrics.clients.labels(app).dec()
            if shared.clients == 0:
                # Forget the entry before awaiting the stop, so a client that
                # arrives meanwhile starts a fresh reader instead of this one.
                if self._apps.get(app) is shared:
                    del self._apps[app]
                if shared.reader is not None:
                    await shared.reader.stop()

    async def _partitions(self, topic: str) -> list[int]:
        if self._admin is None:
            admin = create_admin(self._kafka)
            await admin.start()
            self._admin = admin
        (described,) = await self._admin.describe_topics([topic])
        partitions = sorted(p["partition"] for p in described.get("partitions", ()))
        if described.get("error_code") or not partitions:
            raise TopicMissing(f"the log topic {topic} does not exist")
        return partitions

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
