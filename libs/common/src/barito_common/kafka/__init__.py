"""Kafka the one way Barito uses it, one job per module.

* :mod:`.topics` — every topic's name under the installation prefix
  (:class:`Topics`) and how the shared ones are created (:class:`TopicSpec`);
* :mod:`.clients` — producer, consumer and admin client factories;
* :mod:`.topic_admin` — :func:`ensure_topics`, the one "wait for Kafka, then
  create my topics";
* :mod:`.readiness` — :class:`KafkaProbe`, the /readyz check;
* :mod:`.consume_loop` — :class:`ConsumeLoop`, consume → decode → handle →
  commit with the one failure policy, helped by :mod:`.failures` (what is
  transient), :mod:`.dead_records` (what a dead letter holds) and
  :mod:`.backoff`.

Example::

    topics = Topics(settings.kafka.topic_prefix)
    await ensure_topics(settings.kafka, [usage_topic_spec(topics)], retry=Backoff())
    producer = create_producer(settings.kafka)
    await producer.start()
    await producer.send_and_wait(topics.logs("checkout"), chunk)
"""

from barito_common.kafka.backoff import Backoff, until_done
from barito_common.kafka.clients import create_admin, create_consumer, create_producer
from barito_common.kafka.consume_loop import ConsumeLoop, Polling, Subscription
from barito_common.kafka.dead_records import DeadRecord
from barito_common.kafka.failures import TransientError, is_transient
from barito_common.kafka.readiness import KafkaProbe, KafkaUnavailable
from barito_common.kafka.topic_admin import ensure_topics
from barito_common.kafka.topics import (
    ALERT_STATE_PARTITIONS,
    LOG_TOPIC_MAX_MESSAGE_BYTES,
    Topics,
    TopicSpec,
    alert_topic_specs,
    dead_letter_topic_spec,
    dead_record_topic_spec,
    log_topic_spec,
    provisioning_topic_specs,
    rates_topic_spec,
    usage_topic_spec,
)

__all__ = [
    "ALERT_STATE_PARTITIONS",
    "LOG_TOPIC_MAX_MESSAGE_BYTES",
    "Backoff",
    "ConsumeLoop",
    "DeadRecord",
    "KafkaProbe",
    "KafkaUnavailable",
    "Polling",
    "Subscription",
    "TopicSpec",
    "Topics",
    "TransientError",
    "alert_topic_specs",
    "create_admin",
    "create_consumer",
    "create_producer",
    "dead_letter_topic_spec",
    "dead_record_topic_spec",
    "ensure_topics",
    "is_transient",
    "log_topic_spec",
    "provisioning_topic_specs",
    "rates_topic_spec",
    "until_done",
    "usage_topic_spec",
]
