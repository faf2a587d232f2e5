"""Rendering the Kubernetes templates, and reading rollout status as components (pure)."""

from __future__ import annotations

import pytest

from barito_common.schemas import ComponentKind, ComponentState
from barito_provisioner.drivers.base import InfrastructureSpec
from barito_provisioner.drivers.installation import Installation
from barito_provisioner.drivers.kubernetes.driver import components_of
from barito_provisioner.drivers.kubernetes.render import (
    cluster_coordinates,
    namespace_name,
    render_objects,
)
from barito_provisioner.settings import KubernetesSettings
from barito_testing.stack import REPO, shipped_templates

TEMPLATES = shipped_templates()
DIRECTORY = REPO / "infra/templates/kubernetes"
INSTALLATION = Installation(
    kafka_bootstrap_servers="kafka.barito.svc:9092", topic_prefix="prod.", index_prefix="prod-"
)


def _objects(capacity: str, **settings: object) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    spec = InfrastructureSpec("Infra_42", "group-1", TEMPLATES[capacity])
    objects = render_objects(spec, KubernetesSettings(**settings), DIRECTORY, INSTALLATION)  # type: ignore[arg-type]
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


@pytest.mark.parametrize("capacity", ["small", "medium", "large"])
def test_each_template_gives_statefulsets_deployments_and_their_replicas(capacity: str) -> None:
    template = TEMPLATES[capacity]
    objects = _objects(capacity)
    assert next(iter(objects)) == ("Namespace", "barito-infra-42")
    assert objects[("StatefulSet", "kafka")]["spec"]["replicas"] == template.kafka.brokers
    assert objects[("StatefulSet", "search")]["spec"]["replicas"] == template.search.nodes
    assert objects[("Deployment", "kibana")]["spec"]["replicas"] == template.kibana.replicas
    assert objects[("Deployment", "flow")]["spec"]["replicas"] == template.flow.replicas
    combined = template.kafka.controllers == "combined"
    assert (("StatefulSet", "controller") in objects) is not combined
    kafka = objects[("ConfigMap", "kafka")]["data"]
    assert kafka["KAFKA_NUM_PARTITIONS"] == str(template.kafka.partitions)
    assert kafka["KAFKA_PROCESS_ROLES"] == ("broker,controller" if combined else "broker")
    quorum = kafka["KAFKA_CONTROLLER_QUORUM_BOOTSTRAP_SERVERS"].split(",")
    assert len(quorum) == (template.kafka.brokers if combined else template.kafka.controllers)
    search = objects[("StatefulSet", "search")]["spec"]["template"]["spec"]["containers"][0]
    assert search["resources"]["limits"]["memory"].endswith("Mi")
    for (_, _), body in objects.items():
        if body["kind"] != "Namespace":
            assert body["metadata"]["namespace"] == "barito-infra-42"


@pytest.mark.parametrize("capacity", ["small", "large"])
def test_the_flow_reads_the_groups_kafka_writes_its_engine_and_keeps_the_installations_kafka(
    capacity: str,
) -> None:
    spec = InfrastructureSpec("Infra_42", "group-1", TEMPLATES[capacity])
    cluster = cluster_coordinates(spec, KubernetesSettings(search_engine="opensearch"))
    flow = _objects(capacity, search_engine="opensearch")[("ConfigMap", "flow")]["data"]
    assert flow == {
        "BARITO_HOST": "0.0.0.0",
        "BARITO_PORT": "18083",
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": "kafka.barito.svc:9092",
        "BARITO_KAFKA__TOPIC_PREFIX": "prod.",
        "BARITO_LOGS_BOOTSTRAP_SERVERS": cluster.kafka_bootstrap_servers,
        "BARITO_SEARCH__URL": "http://search.barito-infra-42.svc:9200",
        "BARITO_SEARCH__ENGINE": "opensearch",
        "BARITO_SEARCH__INDEX_PREFIX": "prod-",
        "BARITO_APP_GROUP_ID": "group-1",
    }
    brokers = TEMPLATES[capacity].kafka.brokers
    assert cluster.kafka_bootstrap_servers == ",".join(
        f"kafka-{n}.kafka.barito-infra-42.svc:9092" for n in range(brokers)
    )
    assert cluster.search_url == flow["BARITO_SEARCH__URL"]
    assert cluster.search_engine == "opensearch"
    assert cluster.kibana_url == "http://kibana.barito-infra-42.svc:5601"
    assert cluster.infrastructure_id == "Infra_42"


def test_an_unset_storage_class_is_left_out_and_a_set_one_is_used() -> None:
    claims = _objects("small")[("StatefulSet", "kafka")]["spec"]["volumeClaimTemplates"]
    assert "storageClassName" not in claims[0]["spec"]
    claims = _objects("small", storage_class="fast")[("StatefulSet", "kafka")]["spec"][
        "volumeClaimTemplates"
    ]
    assert claims[0]["spec"]["storageClassName"] == "fast"


def test_namespace_names_are_valid_dns_labels() -> None:
    settings = KubernetesSettings()
    assert namespace_name(settings, "3F2504E0-4F89-11D3-9A0C-0305E82C3301") == (
        "barito-3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    )
    assert len(namespace_name(settings, "x" * 100)) == 63


def test_rollout_status_makes_the_ready_replicas_active_and_the_rest_provisioning() -> None:
    workload = {"spec": {"replicas": 3}, "status": {"replicas": 3, "readyReplicas": 1}}
    components = components_of(ComponentKind.KAFKA, "ns", workload, 3)
    assert [(c.name, c.state) for c in components] == [
        ("kafka-0", ComponentState.ACTIVE),
        ("kafka-1", ComponentState.PROVISIONING),
        ("kafka-2", ComponentState.PROVISIONING),
    ]
    assert components[1].message == "not ready (1/3 ready)"
    assert components[0].address == "kafka-0.kafka.ns.svc:9092"
    missing = components_of(ComponentKind.FLOW, "ns", None, 2)
    assert {c.state for c in missing} == {ComponentState.PENDING}
