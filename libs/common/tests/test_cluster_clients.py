"""The pool of dedicated clusters' clients: one per bootstrap list, closed once unnamed."""

from __future__ import annotations

from datetime import UTC, datetime

from barito_common.cluster_clients import ClusterClients, clusters_in_use
from barito_common.clusters import kafka_settings_for
from barito_common.schemas import AppProfile, AppStatus, ClusterCoordinates
from barito_common.settings import KafkaSettings


def _cluster(bootstrap: str, infrastructure: str = "infra") -> ClusterCoordinates:
    return ClusterCoordinates(
        infrastructure_id=infrastructure,
        kafka_bootstrap_servers=bootstrap,
        search_url="http://search:9200",
        search_engine="opensearch",
    )


def _profile(slug: str, cluster: ClusterCoordinates | None, status: AppStatus) -> AppProfile:
    return AppProfile(
        app_id=slug,
        slug=slug,
        name=slug,
        group_id="g",
        group_slug="g",
        status=status,
        tps=10,
        topic=f"barito.logs.{slug}",
        index_prefix=slug,
        retention_days=7,
        capacity="medium",
        updated_at=datetime.now(UTC),
        cluster=cluster,
    )


def test_clusters_in_use_are_those_apps_not_deleted_name() -> None:
    profiles = [
        _profile("a", _cluster("k1:9092"), AppStatus.ACTIVE),
        _profile("b", _cluster("k2:9092"), AppStatus.INACTIVE),
        _profile("c", _cluster("k3:9092"), AppStatus.DELETED),
        _profile("d", None, AppStatus.ACTIVE),
    ]
    assert clusters_in_use(profiles) == {"k1:9092", "k2:9092"}


async def test_one_client_per_bootstrap_list_pointed_there_and_closed_once_unnamed() -> None:
    closed: list[str] = []

    async def close(settings: KafkaSettings) -> None:
        closed.append(settings.bootstrap_servers)

    base = KafkaSettings(bootstrap_servers="installation:9092", topic_prefix="p.")
    pool: ClusterClients[KafkaSettings] = ClusterClients(base, open=lambda s: s, close=close)
    first = pool.get(_cluster("k1:9092", "one"))
    # Other coordinates, same brokers: the same client.
    assert pool.get(_cluster("k1:9092", "two")) is first
    assert (first.bootstrap_servers, first.topic_prefix) == ("k1:9092", "p.")
    pool.get(_cluster("k2:9092"))

    await pool.close_unused({"k2:9092"})
    assert closed == ["k1:9092"]
    assert pool.keys() == {"k2:9092"}
    await pool.close()
    assert closed == ["k1:9092", "k2:9092"]


def test_a_group_cluster_gets_no_installation_credentials() -> None:
    # The drivers start a group's Kafka without security; the installation's
    # SASL password and certificates are for its own brokers only.
    secured = KafkaSettings(
        bootstrap_servers="kafka.internal:9093",
        topic_prefix="barito.",
        security_protocol="SASL_SSL",
        sasl_username="barito",
        sasl_password="installation-only",
        ssl_cafile="/etc/ca.pem",
        ssl_certfile="/etc/client.pem",
        ssl_keyfile="/etc/client-key.pem",
    )
    group = kafka_settings_for(secured, _cluster("group-kafka:31000"))
    assert group.bootstrap_servers == "group-kafka:31000"
    assert group.topic_prefix == "barito."
    assert group.security_protocol == "PLAINTEXT"
    assert (group.sasl_username, group.sasl_password) == (None, None)
    assert (group.ssl_cafile, group.ssl_certfile, group.ssl_keyfile) == (None, None, None)
    assert kafka_settings_for(secured, None) is secured
