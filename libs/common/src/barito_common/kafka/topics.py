"""Every Barito topic's name under one installation prefix, and how each is created.

Topic names come from :class:`Topics` only, so the configurable prefix is
applied everywhere; a :class:`TopicSpec` says how a topic is created
(:func:`~barito_common.kafka.topic_admin.ensure_topics`), and the specs of the
topics two services share are written here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ALERT_STATE_PARTITIONS",
    "LOG_TOPIC_MAX_MESSAGE_BYTES",
    "TopicSpec",
    "Topics",
    "alert_topic_specs",
    "dead_letter_topic_spec",
    "dead_record_topic_spec",
    "log_topic_spec",
    "provisioning_topic_specs",
    "rates_topic_spec",
    "usage_topic_spec",
]


@dataclass(frozen=True)
class Topics:
    """Names of every Barito topic under one installation prefix."""

    prefix: str = "barito."

    @property
    def apps(self) -> str:
        return f"{self.prefix}apps"

    @property
    def alert_state(self) -> str:
        """Each alert rule's state, compacted; its partitions say which server owns which app."""
        return f"{self.prefix}alerts.state"

    @property
    def alert_events(self) -> str:
        """Every firing, resolution and re-notification, for the market's history."""
        return f"{self.prefix}alerts.events"

    @property
    def dead_letters(self) -> str:
        """Log documents the search engine refused (flow's ``DeadLetter`` payloads)."""
        return f"{self.prefix}logs.dlq"

    @property
    def dead_records(self) -> str:
        """Records a consumer could not decode or handle, as they were read (``consume_loop``).

        >>> Topics("acme.").dead_records
        'acme.records.dlq'
        """
        return f"{self.prefix}records.dlq"

    @property
    def provisioning_commands(self) -> str:
        return f"{self.prefix}provisioning.commands"

    @property
    def provisioning_events(self) -> str:
        return f"{self.prefix}provisioning.events"

    @property
    def usage(self) -> str:
        return f"{self.prefix}usage"

    @property
    def rates(self) -> str:
        """The receivers' rate reports, from which they split each app's limit.

        Not under ``logs.``, so no app's slug can name it.

        >>> Topics("acme.").rates
        'acme.rates'
        """
        return f"{self.prefix}rates"

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


def rates_topic_spec(topics: Topics) -> TopicSpec:
    # A report matters for a few seconds (the receivers read from the end, or
    # from a few seconds back when they start), so a minute is kept: small
    # segments, rolled each minute, let the retention actually apply.
    return TopicSpec(
        topics.rates,
        config=(("retention.ms", str(60_000)), ("segment.ms", str(60_000))),
    )


def dead_letter_topic_spec(topics: Topics) -> TopicSpec:
    # Keyed by app: flow writes it, the market counts it; whichever starts first creates it.
    return TopicSpec(topics.dead_letters, partitions=3)


def dead_record_topic_spec(topics: Topics) -> TopicSpec:
    # Read by operators, not by a service: one partition keeps the letters in
    # the order they were written. A letter holds the original record, so the
    # topic allows what a log topic allows.
    return TopicSpec(
        topics.dead_records,
        config=(("max.message.bytes", str(LOG_TOPIC_MAX_MESSAGE_BYTES)),),
    )


# Fixed once created: an app's partition (barito_common.alerts.state_partition)
# must not move while states are kept on it. 12 lets up to 12 server replicas
# share the evaluation.
ALERT_STATE_PARTITIONS = 12


def alert_topic_specs(topics: Topics) -> list[TopicSpec]:
    # The server creates both, the market reads the events; whichever starts first.
    return [
        TopicSpec(
            topics.alert_state,
            partitions=ALERT_STATE_PARTITIONS,
            config=(("cleanup.policy", "compact"),),
        ),
        TopicSpec(
            topics.alert_events, partitions=3, config=(("retention.ms", str(30 * 86_400_000)),)
        ),
    ]


def provisioning_topic_specs(topics: Topics) -> list[TopicSpec]:
    # Keyed by infrastructure id: one partition keeps things simple and every
    # infrastructure's commands and events in order either way.
    return [TopicSpec(topics.provisioning_commands), TopicSpec(topics.provisioning_events)]


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
