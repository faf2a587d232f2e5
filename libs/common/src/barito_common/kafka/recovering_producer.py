"""An idempotent producer that survives what a plain one does not: a broker restart.

After a broker restart an idempotent producer can be told its sequence
numbers are out of order (``OutOfOrderSequenceNumber``) or its producer id is
unknown; from then on every send fails, forever. :class:`RecoveringProducer`
answers such an error by replacing the producer with a fresh one (a new
producer id), so the caller's request fails once (503, retried by the agent)
and the next one succeeds. It also starts only once Kafka answers, so a
service comes up, and reports not ready, while Kafka is down.

Example::

    producer = RecoveringProducer(lambda: create_producer(settings.kafka))
    asyncio.create_task(producer.start_when_reachable())
    await producer.send_and_wait(topic, value)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    KafkaError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    UnknownProducerId,
)

__all__ = ["ProducerNotReady", "RecoveringProducer"]

log = logging.getLogger(__name__)

_FATAL = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    ProducerFenced,
)


class ProducerNotReady(KafkaError):  # type: ignore[misc]
    """The producer has not reached Kafka yet (or is being replaced)."""


class RecoveringProducer:
    def __init__(
        self, factory: Callable[[], AIOKafkaProducer], *, retry_delay_s: float = 1.0
    ) -> None:
        self._factory = factory
        self._retry_delay_s = retry_delay_s
        self._producer = factory()
        self.started = asyncio.Event()
        self._replacing: asyncio.Task[None] | None = None

    async def start_when_reachable(self) -> None:
        while True:
            try:
                await self._producer.start()
            except KafkaError as err:
                log.warning(
                    "Kafka is not reachable yet; retrying.", extra={"ctx": {"error": repr(err)}}
                )
                await self._producer.stop()
                self._producer = self._factory()
                await asyncio.sleep(self._retry_delay_s)
            else:
                self.started.set()
                return

    def _ready(self) -> AIOKafkaProducer:
        if not self.started.is_set():
            raise ProducerNotReady("the producer has not reached Kafka yet")
        return self._producer

    async def partitions_for(self, topic: str) -> set[int]:
        return await self._call(self._ready().partitions_for(topic))  # type: ignore[no-any-return]

    async def send(self, topic: str, value: bytes, **options: Any) -> asyncio.Future[Any]:
        """Enqueue; the returned future resolves on the broker's acknowledgement."""
        future = await self._call(self._ready().send(topic, value, **options))
        watched: asyncio.Future[Any] = asyncio.ensure_future(self._call(future))
        return watched

    async def send_and_wait(self, topic: str, value: bytes, **options: Any) -> Any:
        return await (await self.send(topic, value, **options))

    async def _call(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except _FATAL as err:
            self._replace(err)
            raise

    def _replace(self, err: Exception) -> None:
        if self._replacing is not None and not self._replacing.done():
            return
        log.warning(
            "The producer lost its idempotence state; replacing it.",
            extra={"ctx": {"error": repr(err)}},
        )
        self.started.clear()
        old, self._producer = self._producer, self._factory()

        async def replace() -> None:
            with contextlib.suppress(Exception):
                await old.stop()
            await self.start_when_reachable()

        self._replacing = asyncio.create_task(replace(), name="producer-replace")

    async def stop(self) -> None:
        if self._replacing is not None:
            self._replacing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._replacing
        await self._producer.stop()
