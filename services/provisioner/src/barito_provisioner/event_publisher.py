"""Publishing ProvisionEvents: every transition, keyed by infrastructure id.

A command's offset is committed only after its events are acknowledged, and
the events topic is also the provisioner's own memory (see journal.py), so a
publish is retried until Kafka takes it rather than given up.
"""

from __future__ import annotations

import asyncio
import logging

from barito_common.kafka import Topics
from barito_common.kafka.recovering_producer import RecoveringProducer
from barito_common.schemas import ProvisionEvent, to_bytes

__all__ = ["EventPublisher"]

log = logging.getLogger(__name__)


class EventPublisher:
    def __init__(
        self, producer: RecoveringProducer, topics: Topics, *, retry_delay_s: float = 1.0
    ) -> None:
        self._producer = producer
        self._topics = topics
        self._retry_delay_s = retry_delay_s

    async def publish(self, event: ProvisionEvent) -> None:
        """Send ``event`` and wait for Kafka's acknowledgement, however long that takes."""
        while True:
            try:
                await self._producer.started.wait()
                await self._producer.send_and_wait(
                    self._topics.provisioning_events,
                    to_bytes(event),
                    key=event.infrastructure_id.encode(),
                )
            except Exception as err:
                log.warning(
                    "Could not publish a provisioning event; retrying.",
                    extra={
                        "ctx": {"infrastructure_id": event.infrastructure_id, "error": repr(err)}
                    },
                )
                await asyncio.sleep(self._retry_delay_s)
            else:
                return
