"""The docker driver against the real Docker engine of this machine.

One small cluster (1 broker in combined KRaft mode, 1 Elasticsearch node of
512 MiB heap, 1 flow, Kibana wanted but no image) is made once for the module
and walked through its life: bootstrap, a record through its Kafka, its
engine answering, an idempotent re-provision, a stopped broker reported, and
deprovisioning leaving nothing behind. Images are the locally built ones
(`make images`); the flow's installation Kafka is the local stack's.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import docker
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from docker.errors import DockerException

from barito_common.capacity import CapacityTemplate
from barito_common.schemas import ClusterCoordinates, Component, ComponentState, Placement
from barito_common.settings import KafkaSettings, SearchSettings
from barito_provisioner.drivers.base import InfrastructureSpec
from barito_provisioner.drivers.docker.driver import DockerDriver
from barito_provisioner.drivers.docker.naming import INFRASTRUCTURE_LABEL
from barito_provisioner.drivers.docker.states import NO_KIBANA_IMAGE
from barito_provisioner.settings import DockerSettings, ProvisionerSettings
from barito_testing.stack import shipped_templates

pytestmark = [pytest.mark.stack, pytest.mark.timeout(600)]

TEMPLATES = shipped_templates()
IMAGES = {
    "kafka": "barito-local/kafka:4.1.1",
    "search": "barito-local/elasticsearch:8.19.21",
    "flow": "barito/flow:dev",
}


@dataclass
class Cluster:
    driver: DockerDriver
    spec: InfrastructureSpec
    components: list[Component]
    coordinates: ClusterCoordinates
    client: docker.DockerClient

    def containers(self) -> list[Any]:
        label = f"{INFRASTRUCTURE_LABEL}={self.spec.infrastructure_id}"
        return list(self.client.containers.list(all=True, filters={"label": label}))

    def volumes(self) -> list[Any]:
        label = f"{INFRASTRUCTURE_LABEL}={self.spec.infrastructure_id}"
        return list(self.client.volumes.list(filters={"label": label}))

    def container(self, component: str) -> Any:
        (found,) = [c for c in self.containers() if c.labels["dev.barito.component"] == component]
        return found


def _small_template() -> CapacityTemplate:
    body = TEMPLATES["small"].model_dump()
    body["search"]["heap"] = "512MiB"
    body["placement"] = Placement.DEDICATED
    return CapacityTemplate.model_validate(body)


@pytest.fixture(scope="module")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.DockerClient(version="1.41")
        client.ping()
    except DockerException as err:
        pytest.skip(f"no Docker engine answers at the default socket: {err}")
    missing = []
    for image in IMAGES.values():
        try:
            client.images.get(image)
        except DockerException:
            missing.append(image)
    if missing:
        pytest.fail(f"images {', '.join(missing)} are missing: run `make images` first")
    yield client
    client.close()


def _remove_everything(client: docker.DockerClient, infrastructure_id: str) -> None:
    label = f"{INFRASTRUCTURE_LABEL}={infrastructure_id}"
    for container in client.containers.list(all=True, filters={"label": label}):
        container.remove(force=True, v=True)
    for volume in client.volumes.list(filters={"label": label}):
        volume.remove(force=True)


@pytest.fixture(scope="module")
async def cluster(docker_client: docker.DockerClient, stack: Any) -> AsyncIterator[Cluster]:
    run = uuid.uuid4().hex[:10]
    settings = ProvisionerSettings(
        driver="docker",
        kafka=KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"t{run}."),
        search=SearchSettings(index_prefix=f"t{run}-"),
        docker=DockerSettings(
            kafka_image=IMAGES["kafka"],
            search_engine="elasticsearch",
            search_image=IMAGES["search"],
            flow_image=IMAGES["flow"],
            name_prefix="barito-test-",
            ready_timeout_s=300,
            ready_poll_s=2,
        ),
    )
    spec = InfrastructureSpec(
        infrastructure_id=str(uuid.uuid4()),
        group_id=f"group-{run}",
        template=_small_template(),
        placement=Placement.DEDICATED,
    )
    driver = DockerDriver(settings, docker_client)
    try:
        await driver.provision(spec)
        components = await driver.bootstrap(spec, [])
        yield Cluster(driver, spec, components, driver.cluster(spec, components), docker_client)
    finally:
        _remove_everything(docker_client, spec.infrastructure_id)


def _by_name(components: list[Component]) -> dict[str, Component]:
    return {c.name: c for c in components}


async def test_bootstrap_runs_kafka_search_and_flow_and_reports_kibana_without_an_image(
    cluster: Cluster,
) -> None:
    states = {c.name: c.state for c in cluster.components}
    assert states == {
        "kafka-0": ComponentState.ACTIVE,
        "search-0": ComponentState.ACTIVE,
        "flow-0": ComponentState.ACTIVE,
        "kibana-0": ComponentState.PENDING,
    }
    kibana = _by_name(cluster.components)["kibana-0"]
    assert kibana.message == NO_KIBANA_IMAGE
    assert "BARITO_DOCKER__KIBANA_IMAGE" in kibana.message
    assert kibana.address is None
    assert cluster.coordinates.kibana_url is None
    assert cluster.coordinates.search_engine == "elasticsearch"
    kafka = _by_name(cluster.components)["kafka-0"]
    assert cluster.coordinates.kafka_bootstrap_servers == kafka.address
    assert kafka.address is not None and kafka.address.startswith("127.0.0.1:")


async def test_a_record_goes_through_the_clusters_kafka(cluster: Cluster) -> None:
    bootstrap = cluster.coordinates.kafka_bootstrap_servers
    topic = f"t-{uuid.uuid4().hex[:8]}"
    # The brokers do not create topics on first use (as Barito's never do).
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello dedicated cluster")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        record = await consumer.getone()
    finally:
        await consumer.stop()
    assert record.value == b"hello dedicated cluster"


async def test_the_clusters_search_engine_answers(cluster: Cluster) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        # Not `GET /`: the engines built from the integ-test zips answer it 405.
        response = await client.get(f"{cluster.coordinates.search_url}/_cluster/health")
    assert response.status_code == 200
    body = response.json()
    assert body["cluster_name"].startswith("barito-")
    assert body["number_of_nodes"] == 1


async def test_the_flow_container_reads_the_groups_cluster(cluster: Cluster) -> None:
    env = dict(line.split("=", 1) for line in cluster.container("flow-0").attrs["Config"]["Env"])
    settings = cluster.driver._settings
    flow = _by_name(cluster.components)["flow-0"]
    assert flow.address is not None
    assert env["BARITO_HOST"] == "127.0.0.1"
    assert env["BARITO_PORT"] == flow.address.rsplit(":", 1)[1]
    assert env["BARITO_KAFKA__BOOTSTRAP_SERVERS"] == settings.kafka.bootstrap_servers
    assert env["BARITO_KAFKA__TOPIC_PREFIX"] == settings.kafka.topic_prefix
    assert env["BARITO_LOGS_BOOTSTRAP_SERVERS"] == cluster.coordinates.kafka_bootstrap_servers
    assert env["BARITO_SEARCH__URL"] == cluster.coordinates.search_url
    assert env["BARITO_SEARCH__ENGINE"] == "elasticsearch"
    assert env["BARITO_SEARCH__INDEX_PREFIX"] == settings.search.index_prefix
    assert env["BARITO_APP_GROUP_ID"] == cluster.spec.group_id
    assert env["BARITO_GROUP_ID"].startswith("barito-flow-")


async def test_provisioning_again_keeps_the_same_containers_and_ports(cluster: Cluster) -> None:
    before = {c.name: c.id for c in cluster.containers()}
    again = await cluster.driver.provision(cluster.spec)
    assert {c.name: c.id for c in cluster.containers()} == before
    assert {c.name: c.address for c in again} == {c.name: c.address for c in cluster.components}


async def test_a_resize_adds_and_removes_only_the_components_that_change(
    cluster: Cluster,
) -> None:
    before = {c.name: c.id for c in cluster.containers()}
    body = cluster.spec.template.model_dump()
    body["flow"]["replicas"] = 2
    bigger = replace(cluster.spec, template=CapacityTemplate.model_validate(body))

    await cluster.driver.provision(bigger)
    grown = _by_name(await cluster.driver.bootstrap(bigger, []))

    assert grown["flow-1"].state is ComponentState.ACTIVE
    assert grown["flow-1"].address not in {c.address for c in cluster.components}
    after = {c.name: c.id for c in cluster.containers()}
    assert {k: v for k, v in after.items() if not k.endswith("-flow-1")} == before

    await cluster.driver.provision(cluster.spec)
    assert {c.name: c.id for c in cluster.containers()} == before


async def test_a_stopped_broker_is_reported_as_an_error_and_provisioning_starts_it(
    cluster: Cluster,
) -> None:
    cluster.container("kafka-0").stop(timeout=20)
    polled = _by_name(await cluster.driver.poll(cluster.spec, cluster.components))
    assert polled["kafka-0"].state is ComponentState.ERROR
    assert "exited (exit code" in (polled["kafka-0"].message or "")
    assert polled["kafka-0"].address == _by_name(cluster.components)["kafka-0"].address
    assert polled["search-0"].state is ComponentState.ACTIVE

    await cluster.driver.provision(cluster.spec)
    components = await cluster.driver.bootstrap(cluster.spec, [])
    assert _by_name(components)["kafka-0"].state is ComponentState.ACTIVE


async def test_deprovisioning_leaves_no_container_volume_or_port(cluster: Cluster) -> None:
    assert cluster.volumes(), "the cluster's data volumes should exist before"
    ports = [int(str(c.address).rsplit(":", 1)[1]) for c in cluster.components if c.address]

    deleted = await cluster.driver.deprovision(cluster.spec, [])

    assert {c.state for c in deleted} == {ComponentState.DELETED}
    assert cluster.containers() == []
    assert cluster.volumes() == []
    for port in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("", port))  # raises while anything still listens
    # Nothing there is fine: a repeated DELETE succeeds.
    again = await cluster.driver.deprovision(cluster.spec, [])
    assert {c.state for c in again} <= {ComponentState.DELETED}
