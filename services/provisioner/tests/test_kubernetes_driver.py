"""The Kubernetes driver against a real kube-apiserver (with etcd) from the local stack.

``barito stack up --with kubernetes`` builds both from the Go module proxy
(once, cached) and starts them. There are no kubelets, so no pod ever runs:
the tests assert what the API server accepted and stored, that polling
reports every component as not ready, and that deprovisioning deletes it all.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from barito_cli.stack.engines import OPTIONAL_ENGINES
from barito_cli.stack.kubernetes import KubernetesAccess, kubernetes_access
from barito_cli.stack.manager import stack_up
from barito_common.schemas import ComponentState
from barito_flow.settings import FlowSettings
from barito_provisioner.drivers.base import InfrastructureSpec, NotReadyYet
from barito_provisioner.drivers.kubernetes.api import KubernetesApiError
from barito_provisioner.drivers.kubernetes.driver import KubernetesDriver
from barito_provisioner.settings import KubernetesSettings, ProvisionerSettings
from barito_testing.stack import shipped_templates

# The first run builds kube-apiserver from source in the fixture (about a
# quarter of an hour on two cores); later runs reuse the cached binary.
pytestmark = pytest.mark.timeout(3600)

TEMPLATES = shipped_templates()


@pytest.fixture(scope="session")
def kube(stack: Any) -> KubernetesAccess:
    stack_up(stack.config, OPTIONAL_ENGINES["kubernetes"], echo=print, timeout_s=300)
    return kubernetes_access(stack.config)


@pytest.fixture
async def driver(kube: KubernetesAccess) -> AsyncIterator[KubernetesDriver]:
    settings = ProvisionerSettings(
        driver="kubernetes",
        kubernetes=KubernetesSettings(
            api_url=kube.url,
            token=kube.token,
            ca_file=str(kube.ca_file),
            ready_timeout_s=0.5,
            ready_poll_s=0.1,
        ),
    )
    driver = KubernetesDriver(settings)
    try:
        yield driver
    finally:
        await driver.close()


def _spec(capacity: str, infrastructure_id: str | None = None) -> InfrastructureSpec:
    return InfrastructureSpec(
        infrastructure_id or f"t-{uuid.uuid4().hex[:10]}", "group-1", TEMPLATES[capacity]
    )


async def _stored(driver: KubernetesDriver, body: dict[str, Any]) -> dict[str, Any] | None:
    metadata = body["metadata"]
    return await driver.api.read(body["kind"], metadata["name"], metadata.get("namespace"))


@pytest.mark.parametrize("capacity", ["small", "medium", "large"])
async def test_the_api_server_accepts_every_object_and_deprovisioning_deletes_them(
    driver: KubernetesDriver, capacity: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(capacity)
    template = spec.template
    rendered = driver.render(spec)

    components = await driver.provision(spec)

    for body in rendered:
        stored = await _stored(driver, body)
        assert stored is not None, f"{body['kind']} {body['metadata']['name']} was not stored"
        managers = {entry["manager"] for entry in stored["metadata"]["managedFields"]}
        assert "barito-provisioner" in managers
    namespace = rendered[0]["metadata"]["name"]
    kafka = await driver.api.read("StatefulSet", "kafka", namespace)
    search = await driver.api.read("StatefulSet", "search", namespace)
    flow = await driver.api.read("Deployment", "flow", namespace)
    assert kafka and search and flow
    assert kafka["spec"]["replicas"] == template.kafka.brokers
    assert search["spec"]["replicas"] == template.search.nodes
    assert flow["spec"]["replicas"] == template.flow.replicas

    # The group's flow, as stored: the group's Kafka and engine (the cluster's
    # coordinates), the installation's Kafka and prefixes; a valid FlowSettings.
    cluster = driver.cluster(spec, [])
    flow_env = await driver.api.read("ConfigMap", "flow", namespace)
    assert flow_env is not None
    env = flow_env["data"]
    assert env["BARITO_LOGS_BOOTSTRAP_SERVERS"] == cluster.kafka_bootstrap_servers
    assert env["BARITO_SEARCH__URL"] == cluster.search_url == f"http://search.{namespace}.svc:9200"
    assert env["BARITO_SEARCH__ENGINE"] == cluster.search_engine
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = FlowSettings()
    assert settings.kafka.bootstrap_servers == "127.0.0.1:19092"  # the installation's
    assert settings.kafka.topic_prefix == "barito."
    assert settings.search.index_prefix == "barito-"
    assert settings.app_group_id == "group-1"
    assert settings.logs_kafka.bootstrap_servers == ",".join(
        f"kafka-{n}.kafka.{namespace}.svc:9092" for n in range(template.kafka.brokers)
    )

    # No kubelet runs a pod: every component is reported, none of them ready.
    expected = template.kafka.brokers + template.search.nodes + template.kibana.replicas
    expected += template.flow.replicas
    if template.kafka.controllers != "combined":
        expected += template.kafka.controllers
    assert len(components) == expected
    assert {c.state for c in components} == {ComponentState.PROVISIONING}
    kafka_0 = next(c for c in components if c.name == "kafka-0")
    assert kafka_0.address == f"kafka-0.kafka.{namespace}.svc:9092"
    assert kafka_0.message == f"not ready (0/{template.kafka.brokers} ready)"
    with pytest.raises(NotReadyYet, match=f"0 of {expected} components run"):
        await driver.bootstrap(spec, [])

    # Applying the same objects again changes nothing the server stores.
    before = kafka["metadata"]["resourceVersion"]
    await driver.provision(spec)
    again = await driver.api.read("StatefulSet", "kafka", namespace)
    assert again is not None and again["metadata"]["resourceVersion"] == before

    deleted = await driver.deprovision(spec, [])
    assert {c.state for c in deleted} == {ComponentState.DELETED}
    for body in rendered[1:]:
        assert await _stored(driver, body) is None
    # With no namespace controller the namespace stays Terminating, never Active.
    left = await driver.api.read("Namespace", namespace, None)
    assert left is None or left["status"]["phase"] == "Terminating"


async def test_shrinking_to_combined_controllers_removes_the_controller_statefulset(
    driver: KubernetesDriver,
) -> None:
    infrastructure_id = f"t-{uuid.uuid4().hex[:10]}"
    medium = _spec("medium", infrastructure_id)
    await driver.provision(medium)
    namespace = driver.render(medium)[0]["metadata"]["name"]
    assert await driver.api.read("StatefulSet", "controller", namespace) is not None

    small = _spec("small", infrastructure_id)
    components = await driver.provision(small)
    assert await driver.api.read("StatefulSet", "controller", namespace) is None
    kafka = await driver.api.read("StatefulSet", "kafka", namespace)
    assert kafka is not None and kafka["spec"]["replicas"] == 1
    assert not [c for c in components if c.kind == "controller"]
    await driver.deprovision(small, [])


async def test_an_object_with_an_unknown_field_is_refused_by_the_api_server(
    driver: KubernetesDriver,
) -> None:
    spec = _spec("small")
    namespace, config_map = driver.render(spec)[:2]
    await driver.api.apply(namespace)
    broken = {**config_map, "dataa": {"x": "y"}}
    with pytest.raises(KubernetesApiError, match="dataa"):
        await driver.api.apply(broken)
    await driver.deprovision(spec, [])
