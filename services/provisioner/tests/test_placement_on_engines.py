"""A dedicated group's apps on its own cluster, with the real engines.

The group's cluster is a second real Kafka (``second_kafka``) and the
stack's OpenSearch; the installation's is the stack's Kafka and
Elasticsearch. The dedicated driver is a stand-in that reports that cluster
running (making one is the docker/nomad/kubernetes drivers' job, tested on
their own); what runs for real is the router's part: the apps' topics and
index templates land on the group's cluster and nowhere else, and deleting
the group also clears what it left on the shared cluster.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from barito_common.kafka import (
    Topics,
    create_admin,
    create_producer,
    ensure_topics,
    log_topic_spec,
)
from barito_common.schemas import (
    AppProfile,
    AppStatus,
    ClusterCoordinates,
    Component,
    ComponentKind,
    ComponentState,
    InfrastructureState,
    Placement,
    ProvisionEvent,
    to_bytes,
)
from barito_common.search import create_search_adapter
from barito_common.search.index_template import template_name
from barito_common.settings import KafkaSettings, SearchSettings
from barito_provisioner.drivers.base import Driver, InfrastructureSpec
from barito_provisioner.drivers.placement import PlacedDriver
from barito_provisioner.drivers.shared import SharedDriver
from barito_provisioner.journal import provisioning_topic_specs, read_journal
from barito_provisioner.settings import SharedSettings
from barito_testing.apps import partition_count
from barito_testing.provisioner import stored_index_template
from barito_testing.stack import shipped_templates

pytestmark = pytest.mark.stack

TEMPLATES = shipped_templates()
DAY = "2025.01.31"


class RunningCluster(Driver):
    """A dedicated driver whose cluster is already up: one broker, one search node."""

    name = "stand-in"

    def __init__(self, cluster: ClusterCoordinates) -> None:
        self._cluster = cluster
        self.deprovisioned: list[str] = []
        self.components = [
            Component(
                name="kafka-0",
                kind=ComponentKind.KAFKA,
                address=cluster.kafka_bootstrap_servers,
                state=ComponentState.ACTIVE,
            ),
            Component(
                name="search-0",
                kind=ComponentKind.SEARCH,
                address=cluster.search_url,
                state=ComponentState.ACTIVE,
            ),
        ]

    async def provision(self, spec: InfrastructureSpec) -> list[Component]:
        return self.components

    async def bootstrap(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        return self.components

    async def deprovision(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        self.deprovisioned += [app.slug for app in apps]
        return [c.model_copy(update={"state": ComponentState.DELETED}) for c in self.components]

    async def poll(self, spec: InfrastructureSpec, known: Sequence[Component]) -> list[Component]:
        return self.components

    def cluster(
        self, spec: InfrastructureSpec, components: Sequence[Component]
    ) -> ClusterCoordinates:
        return self._cluster


def _app(kafka: KafkaSettings, index_prefix: str, slug: str) -> AppProfile:
    return AppProfile(
        app_id=f"id-{slug}",
        slug=slug,
        name=slug,
        group_id="group-d",
        group_slug="group-d",
        status=AppStatus.ACTIVE,
        tps=100,
        topic=Topics(kafka.topic_prefix).logs(slug),
        index_prefix=f"{index_prefix}{slug}",
        retention_days=7,
        capacity="medium",
        updated_at=datetime.now(UTC),
    )


class Setting:
    """The installation's and the group's Kafka settings, and the router over them."""

    def __init__(self, stack: Any, second_kafka: Any) -> None:
        run = uuid.uuid4().hex[:8]
        self.index_prefix = f"d{run}-"
        self.kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"d{run}.")
        self.search = SearchSettings(url=stack.elasticsearch_url, index_prefix=self.index_prefix)
        self.cluster = second_kafka.coordinates(
            search_url=stack.opensearch_url, search_engine="opensearch"
        )
        self.group_kafka = self.kafka.model_copy(
            update={"bootstrap_servers": second_kafka.bootstrap_servers}
        )
        self.dedicated = RunningCluster(self.cluster)
        self.shared = SharedDriver(
            kafka=self.kafka, search=create_search_adapter(self.search), shared=SharedSettings()
        )
        self.driver = PlacedDriver(
            self.shared, self.dedicated, kafka=self.kafka, search=self.search
        )
        self.spec = InfrastructureSpec(
            f"infra-{run}", "group-d", TEMPLATES["medium"], Placement.DEDICATED
        )


SLUGS = ("shop", "shop-api")


@pytest.fixture
async def setting(stack: Any, second_kafka: Any) -> AsyncIterator[Setting]:
    setting = Setting(stack, second_kafka)
    try:
        yield setting
    finally:
        await setting.driver.close()
        for engine in ("elasticsearch", "opensearch"):
            async with create_search_adapter(
                SearchSettings(engine=engine, url=stack.search_urls[engine])
            ) as search:
                await search.delete_index(f"{setting.index_prefix}*")
                for slug in SLUGS:
                    await search.delete_index_template(
                        template_name(f"{setting.index_prefix}{slug}")
                    )
        for kafka in (setting.kafka, setting.group_kafka):
            admin = create_admin(kafka)
            await admin.start()
            try:
                doomed = [t for t in await admin.list_topics() if t.startswith(kafka.topic_prefix)]
                if doomed:
                    await admin.delete_topics(doomed)
            finally:
                await admin.close()


async def test_a_dedicated_groups_apps_get_topics_on_its_kafka_and_templates_on_its_engine(
    setting: Setting, stack: Any
) -> None:
    first = _app(setting.kafka, setting.index_prefix, SLUGS[0])
    # The market made this topic on the group's Kafka with one partition.
    await ensure_topics(
        setting.group_kafka,
        [log_topic_spec(Topics(setting.kafka.topic_prefix), "shop", partitions=1, replication=1)],
    )

    components = await setting.driver.bootstrap(setting.spec, [first])

    assert components == setting.dedicated.components
    # Grown to medium's six partitions; medium's replication 3 capped by one broker.
    assert await partition_count(setting.group_kafka, first.topic) == 6
    assert await partition_count(setting.kafka, first.topic) is None
    body = await stored_index_template(stack.opensearch_url, template_name(first.index_prefix))
    assert body is not None
    assert body["index_patterns"] == [f"{first.index_prefix}-*"]
    assert body["template"]["settings"]["index"]["number_of_shards"] == "3"
    assert body["template"]["settings"]["index"]["number_of_replicas"] == "0"
    assert (
        await stored_index_template(stack.elasticsearch_url, template_name(first.index_prefix))
        is None
    )

    # The poller's path for a group's next app: straight to the known cluster.
    second = _app(setting.kafka, setting.index_prefix, SLUGS[1])
    await setting.driver.bootstrap_apps(setting.spec, [second], setting.cluster, components)
    assert await partition_count(setting.group_kafka, second.topic) == 6
    assert await stored_index_template(stack.opensearch_url, template_name(second.index_prefix))

    # Deleting removes the cluster (the stand-in records it) and the group's
    # leftovers on the shared cluster from before it moved.
    await ensure_topics(
        setting.kafka,
        [log_topic_spec(Topics(setting.kafka.topic_prefix), "shop", partitions=1, replication=1)],
    )
    shared_search = create_search_adapter(setting.search)
    try:
        documents = [(f"{first.index_prefix}-{DAY}", "1", {"message": "before the move"})]
        assert (await shared_search.bulk_index(documents, refresh=True)).all_done
        await setting.driver.deprovision(setting.spec, [first, second])
        assert await shared_search.list_indices(f"{setting.index_prefix}*") == []
    finally:
        await shared_search.delete_index(f"{setting.index_prefix}*")
        await shared_search.close()
    assert setting.dedicated.deprovisioned == ["shop", "shop-api"]
    assert await partition_count(setting.kafka, first.topic) is None


async def test_an_unreachable_group_kafka_fails_the_bootstrap_naming_the_groups_cluster(
    setting: Setting,
) -> None:
    app = _app(setting.kafka, setting.index_prefix, SLUGS[0])
    gone = setting.cluster.model_copy(update={"kafka_bootstrap_servers": "127.0.0.1:1"})
    with pytest.raises(Exception, match="Kafka of the group's cluster") as failure:
        await setting.driver.bootstrap_apps(setting.spec, [app], gone, [])
    assert "127.0.0.1:1" in str(failure.value)


async def test_read_back_from_kafka_the_journal_knows_each_infrastructures_cluster(
    setting: Setting,
) -> None:
    topics = Topics(setting.kafka.topic_prefix)
    await ensure_topics(setting.kafka, provisioning_topic_specs(topics))
    command = uuid.uuid4()
    states = [
        (InfrastructureState.PROVISIONING, None),
        (InfrastructureState.BOOTSTRAPPING, None),
        (InfrastructureState.ACTIVE, setting.cluster),
        (InfrastructureState.ACTIVE, setting.cluster),  # a poll report
    ]
    producer = create_producer(setting.kafka)
    await producer.start()
    try:
        for state, cluster in states:
            event = ProvisionEvent(
                command_id=command,
                infrastructure_id=setting.spec.infrastructure_id,
                state=state,
                at=datetime.now(UTC),
                cluster=cluster,
            )
            await producer.send_and_wait(
                topics.provisioning_events, to_bytes(event), key=event.infrastructure_id.encode()
            )
    finally:
        await producer.stop()

    journal = await read_journal(setting.kafka, topics)

    record = journal.get(setting.spec.infrastructure_id)
    assert record is not None and record.cluster == setting.cluster
