"""Rendering ``infra/templates/kubernetes/*.yaml`` into Kubernetes objects.

Each infrastructure gets a namespace of its own, ``<prefix><infrastructure
id>``, holding StatefulSets and headless Services for Kafka (and dedicated
KRaft controllers when the template has them) and the search nodes,
Deployments for Kibana and flow, and the ConfigMaps they read. Replica counts,
heap and Kafka's topic defaults come from the capacity template. The flow is
told the installation's Kafka and prefixes (``Installation``) and the group's
own Kafka and search engine: the addresses :func:`cluster_coordinates` gives,
which the installation's services use too (they run in the same cluster).

Example::

    objects = render_objects(
        spec, settings.kubernetes, settings.templates_dir / "kubernetes",
        Installation.of(settings),
    )
    [(o["kind"], o["metadata"]["name"]) for o in objects][:2]
    # [("Namespace", "barito-infra-1"), ("ConfigMap", "kafka")]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from barito_common.schemas import ClusterCoordinates, ComponentKind
from barito_provisioner.drivers.base import InfrastructureSpec, component_counts
from barito_provisioner.drivers.installation import Installation
from barito_provisioner.settings import KubernetesSettings
from barito_provisioner.template_fill import TemplateError, fill

__all__ = ["WORKLOADS", "Workload", "cluster_coordinates", "namespace_name", "render_objects"]

_MIB = {"MiB": 1, "GiB": 1024}


@dataclass(frozen=True)
class Workload:
    """The object that runs one kind of component, and where its instances answer."""

    kind: str  # StatefulSet or Deployment
    name: str
    service: str
    port: int


WORKLOADS: dict[ComponentKind, Workload] = {
    ComponentKind.KAFKA: Workload("StatefulSet", "kafka", "kafka", 9092),
    ComponentKind.CONTROLLER: Workload("StatefulSet", "controller", "controller", 9093),
    ComponentKind.SEARCH: Workload("StatefulSet", "search", "search-nodes", 9200),
    ComponentKind.KIBANA: Workload("Deployment", "kibana", "kibana", 5601),
    ComponentKind.FLOW: Workload("Deployment", "flow", "flow", 18083),
}


def namespace_name(settings: KubernetesSettings, infrastructure_id: str) -> str:
    """A valid namespace name (DNS-1123 label) for the infrastructure."""
    name = re.sub(r"[^a-z0-9-]+", "-", f"{settings.namespace_prefix}{infrastructure_id}".lower())
    return name.strip("-")[:63].rstrip("-")


def cluster_coordinates(
    spec: InfrastructureSpec, settings: KubernetesSettings
) -> ClusterCoordinates:
    """Where the infrastructure's brokers, search Service and Kibana answer (pure)."""
    namespace = namespace_name(settings, spec.infrastructure_id)
    kafka, kibana = WORKLOADS[ComponentKind.KAFKA], WORKLOADS[ComponentKind.KIBANA]
    return ClusterCoordinates(
        infrastructure_id=spec.infrastructure_id,
        # The brokers advertise their pod names (kafka.yaml): a client is sent there.
        kafka_bootstrap_servers=",".join(
            f"{kafka.name}-{n}.{kafka.service}.{namespace}.svc:{kafka.port}"
            for n in range(spec.template.kafka.brokers)
        ),
        # The client Service (search.yaml), not the headless search-nodes one.
        search_url=f"http://search.{namespace}.svc:{WORKLOADS[ComponentKind.SEARCH].port}",
        search_engine=settings.search_engine,
        kibana_url=(
            f"http://{kibana.service}.{namespace}.svc:{kibana.port}"
            if spec.template.kibana.replicas
            else None
        ),
    )


def _heap_mb(heap: str) -> int:
    for unit, factor in _MIB.items():
        if heap.endswith(unit):
            return int(heap.removesuffix(unit)) * factor
    raise ValueError(f"heap {heap!r} is neither MiB nor GiB")


def _without_nulls(tree: Any) -> Any:
    # A null in an applied object would claim the field as "unset"; an unset
    # setting (e.g. no storage class: the cluster default) leaves it out instead.
    if isinstance(tree, dict):
        return {k: _without_nulls(v) for k, v in tree.items() if v is not None}
    if isinstance(tree, list):
        return [_without_nulls(item) for item in tree]
    return tree


def _documents(path: Path) -> list[Any]:
    try:
        return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    except (OSError, yaml.YAMLError) as err:
        raise TemplateError(f"{path}: not a readable template: {err}") from err


def render_objects(
    spec: InfrastructureSpec,
    settings: KubernetesSettings,
    directory: Path,
    installation: Installation,
) -> list[dict[str, Any]]:
    """Every object of the infrastructure, the Namespace first, in the order to apply."""
    template = spec.template
    namespace = namespace_name(settings, spec.infrastructure_id)
    cluster = cluster_coordinates(spec, settings)
    replicas = component_counts(template)
    combined = template.kafka.controllers == "combined"
    quorum_kind = ComponentKind.KAFKA if combined else ComponentKind.CONTROLLER
    quorum = WORKLOADS[quorum_kind]
    heap_mb = _heap_mb(template.search.heap)
    context: dict[str, Any] = {
        **installation.template_context(),
        "namespace": namespace,
        "infrastructure_id": spec.infrastructure_id,
        "group_id": spec.group_id,
        "kafka_roles": "broker,controller" if combined else "broker",
        "kafka_listeners": "PLAINTEXT://0.0.0.0:9092"
        + (",CONTROLLER://0.0.0.0:9093" if combined else ""),
        "controller_quorum": ",".join(
            f"{quorum.name}-{n}.{quorum.service}.{namespace}.svc:9093"
            for n in range(replicas[quorum_kind])
        ),
        "kafka_bootstrap": cluster.kafka_bootstrap_servers,
        "search_url": cluster.search_url,
        "search_engine": cluster.search_engine,
        "search_initial_masters": ",".join(
            f"search-{n}" for n in range(min(template.search.nodes, 3))
        ),
        # ConfigMap data are strings.
        "partitions": str(template.kafka.partitions),
        "replication": str(template.kafka.replication),
        "min_insync_replicas": str(template.kafka.min_insync_replicas),
        "heap_mb": heap_mb,
        "memory_mb": heap_mb * 2,
        "kafka_replicas": replicas[ComponentKind.KAFKA],
        "controller_replicas": replicas[ComponentKind.CONTROLLER],
        "search_replicas": replicas[ComponentKind.SEARCH],
        "kibana_replicas": replicas[ComponentKind.KIBANA],
        "flow_replicas": replicas[ComponentKind.FLOW],
        "kafka_image": settings.kafka_image,
        "search_image": settings.search_image,
        "kibana_image": settings.kibana_image,
        "flow_image": settings.flow_image,
        "storage_class": settings.storage_class,
    }
    files = ["namespace", "kafka", *([] if combined else ["controller"]), "search"]
    files += ["kibana", "flow"]
    objects: list[dict[str, Any]] = []
    for stem in files:
        path = directory / f"{stem}.yaml"
        for document in _documents(path):
            objects.append(_without_nulls(fill(document, context, source=str(path))))
    return objects
