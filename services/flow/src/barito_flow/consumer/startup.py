"""Starting the flow's consumer: its topics made, its producer reaching Kafka, then indexing.

The flow creates its own topics (dead letters, usage) on the installation's
Kafka only, where the market reads them; the log topics may be on a
dedicated group's Kafka and are the provisioner's and the market's to make.
"""

from __future__ import annotations

from barito_common.kafka import (
    Backoff,
    Topics,
    dead_letter_topic_spec,
    ensure_topics,
    usage_topic_spec,
)
from barito_common.kafka.recovering_producer import RecoveringProducer
from barito_flow.consumer.worker import FlowWorker
from barito_flow.settings import FlowSettings

__all__ = ["index_forever"]

# Kafka is asked again every second while it is away, as the producer does.
_KAFKA_RETRY = Backoff(base_s=1.0, cap_s=1.0)


async def index_forever(
    settings: FlowSettings, producer: RecoveringProducer, worker: FlowWorker
) -> None:
    """Wait for Kafka, create the flow's topics, start its producer, then index until stopped."""
    topics = Topics(settings.kafka.topic_prefix)
    await ensure_topics(
        settings.kafka,
        [dead_letter_topic_spec(topics), usage_topic_spec(topics)],
        retry=_KAFKA_RETRY,
    )
    await producer.start_when_reachable()
    await worker.run()
