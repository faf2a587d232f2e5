"""What a dedicated cluster's flow is told about the installation it belongs to.

A dedicated group's flow reads its logs from the group's own Kafka and writes
them to the group's own search engine, but the app registry, usage reports
and dead letters stay on the installation's Kafka, under the installation's
topic prefix; its indices carry the installation's index prefix, so names
are the same on every cluster. The kubernetes and nomad templates render
these into the flow's environment, as the docker driver sets its container's.
"""

from __future__ import annotations

from dataclasses import dataclass

from barito_provisioner.settings import ProvisionerSettings

__all__ = ["Installation"]


@dataclass(frozen=True)
class Installation:
    """The installation's Kafka (as a dedicated cluster reaches it) and name prefixes."""

    kafka_bootstrap_servers: str
    topic_prefix: str
    index_prefix: str

    @classmethod
    def of(cls, settings: ProvisionerSettings) -> Installation:
        return cls(
            kafka_bootstrap_servers=settings.kafka.bootstrap_servers,
            topic_prefix=settings.kafka.topic_prefix,
            index_prefix=settings.search.index_prefix,
        )

    def template_context(self) -> dict[str, str]:
        """The placeholders the flow templates use for it."""
        return {
            "installation_kafka": self.kafka_bootstrap_servers,
            "topic_prefix": self.topic_prefix,
            "index_prefix": self.index_prefix,
        }
