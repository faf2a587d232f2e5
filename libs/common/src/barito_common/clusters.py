"""Which Kafka and search engine hold an app's logs (architecture §4, §6).

A shared group's apps live on the installation's own cluster; a dedicated
group's, once its cluster is ACTIVE, on the cluster its profile names. Every
client of an app's topic or indices starts from the installation's settings
and asks here where to point them:

    kafka = kafka_settings_for(settings.kafka, profile.cluster)
    search = search_settings_for(settings.search, profile.cluster)

Only the address changes: the topic prefix, index prefix, timeouts and client
id stay the installation's, so topic and index names are the same on every
cluster. The installation's search credentials are not sent to a dedicated
engine, which the dedicated drivers start without security of their own.
"""

from __future__ import annotations

from barito_common.schemas import ClusterCoordinates
from barito_common.settings import KafkaSettings, SearchSettings

__all__ = ["cluster_key", "kafka_settings_for", "search_settings_for"]


def kafka_settings_for(base: KafkaSettings, cluster: ClusterCoordinates | None) -> KafkaSettings:
    """``base`` pointed at the cluster's brokers; ``base`` itself for the shared cluster."""
    if cluster is None:
        return base
    # The installation's credentials are not the group cluster's, and must not
    # be sent there: the drivers start a group's Kafka without security (as
    # its engine gets no password below), so it is dialled in plain text. Only
    # the naming and timing settings carry over: a security setting added to
    # KafkaSettings later cannot leak to a group's brokers by default.
    return KafkaSettings(
        bootstrap_servers=cluster.kafka_bootstrap_servers,
        topic_prefix=base.topic_prefix,
        request_timeout_ms=base.request_timeout_ms,
        client_id=base.client_id,
    )


def search_settings_for(base: SearchSettings, cluster: ClusterCoordinates | None) -> SearchSettings:
    """``base`` pointed at the cluster's engine; ``base`` itself for the shared cluster."""
    if cluster is None:
        return base
    # As for Kafka: only the naming and timing settings carry over. The
    # installation's password, API key and CA are for its own engine, which a
    # group's (started without security, dialled over http) must never be sent.
    return SearchSettings(
        engine=cluster.search_engine,
        url=cluster.search_url,
        index_prefix=base.index_prefix,
        request_timeout_s=base.request_timeout_s,
    )


def cluster_key(cluster: ClusterCoordinates | None) -> str | None:
    """What identifies a Kafka to connect to: its bootstrap list, None for the shared one.

    Clients are pooled by it, so two profiles naming the same brokers share one
    client however their other coordinates differ.
    """
    return None if cluster is None else cluster.kafka_bootstrap_servers
