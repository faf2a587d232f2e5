"""What each component's container is: image, environment, ports, data (pure).

Every container uses the host's network and listens on the advertised host
on the ports the driver allocated, so the addresses the installation's
services use are the ones the processes bind. The images are configured by
environment only, in the official images' conventions (apache/kafka's
``KAFKA_*``, Elasticsearch's and OpenSearch's dotted settings, Kibana's
``SERVER_*``), which the locally built ``barito-local/*`` images follow too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from barito_common.schemas import ComponentKind
from barito_provisioner.drivers.base import InfrastructureSpec, component_counts
from barito_provisioner.drivers.docker.naming import container_name, kafka_cluster_id, short_id
from barito_provisioner.settings import DockerSettings, ProvisionerSettings

__all__ = [
    "ContainerPlan",
    "heap_mib",
    "kind_of",
    "plan_containers",
    "wanted_components",
    "wanted_ports",
]

KAFKA_DATA = "/var/lib/kafka/data"
# The port named first is the component's address.
PORTS: dict[ComponentKind, tuple[str, ...]] = {
    ComponentKind.KAFKA: ("client", "controller"),
    ComponentKind.CONTROLLER: ("controller",),
    ComponentKind.SEARCH: ("http", "transport"),
    ComponentKind.FLOW: ("http",),
    ComponentKind.KIBANA: ("http",),
}
# The brokers' node ids are 1..n; separate controllers' start here, so the
# ids stay put when the broker count changes.
CONTROLLER_NODE_ID_BASE = 1001


@dataclass(frozen=True)
class ContainerPlan:
    """One component's container as it should be."""

    component: str
    kind: ComponentKind
    name: str
    image: str
    env: dict[str, str]
    ports: dict[str, int]
    data_path: str | None = None
    """Where the component's named volume is mounted; None: it keeps no data."""

    @property
    def address_port(self) -> int:
        return self.ports[PORTS[self.kind][0]]

    def config(self) -> dict[str, object]:
        """What the container was made from, for its digest label."""
        return {"image": self.image, "env": self.env, "data": self.data_path}


def wanted_components(spec: InfrastructureSpec, docker: DockerSettings) -> list[str]:
    """The components that get a container: every one but Kibana without an image."""
    names = []
    for kind, count in component_counts(spec.template).items():
        if kind is ComponentKind.KIBANA and docker.kibana_image is None:
            continue
        names += [f"{kind.value}-{n}" for n in range(count)]
    return names


def wanted_ports(components: list[str]) -> dict[str, tuple[str, ...]]:
    """The port names each component's container needs."""
    combined = not any(c.startswith(f"{ComponentKind.CONTROLLER.value}-") for c in components)
    wanted = {}
    for component in components:
        kind = kind_of(component)
        names = PORTS[kind]
        if kind is ComponentKind.KAFKA and not combined:
            names = names[:1]  # a controller listener only when brokers are the controllers
        wanted[component] = names
    return wanted


def kind_of(component: str) -> ComponentKind:
    """``"kafka-0"`` → KAFKA."""
    return ComponentKind(component.rsplit("-", 1)[0])


def heap_mib(heap: str) -> int:
    """``"1GiB"`` → 1024, ``"512MiB"`` → 512 (the template's heap pattern)."""
    if heap.endswith("GiB"):
        return int(heap.removesuffix("GiB")) * 1024
    return int(heap.removesuffix("MiB"))


def plan_containers(
    spec: InfrastructureSpec, settings: ProvisionerSettings, ports: Mapping[str, dict[str, int]]
) -> list[ContainerPlan]:
    """Every container of the infrastructure, in the order they are started."""
    docker = settings.docker
    host = docker.advertised_host
    iid = spec.infrastructure_id
    by_kind: dict[ComponentKind, list[str]] = {kind: [] for kind in ComponentKind}
    for component in ports:
        by_kind[kind_of(component)].append(component)
    brokers = by_kind[ComponentKind.KAFKA]
    controllers = by_kind[ComponentKind.CONTROLLER]
    searches = by_kind[ComponentKind.SEARCH]

    def plan(component: str, image: str, env: dict[str, str], data: str | None) -> ContainerPlan:
        kind = kind_of(component)
        name = container_name(docker.name_prefix, iid, component)
        return ContainerPlan(component, kind, name, image, env, dict(ports[component]), data)

    if controllers:
        voters = [
            f"{CONTROLLER_NODE_ID_BASE + n}@{host}:{ports[c]['controller']}"
            for n, c in enumerate(controllers)
        ]
    else:
        voters = [f"{n + 1}@{host}:{ports[b]['controller']}" for n, b in enumerate(brokers)]
    kafka_common = {
        "KAFKA_CONTROLLER_QUORUM_VOTERS": ",".join(voters),
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,BROKER:PLAINTEXT",
        "KAFKA_LOG_DIRS": KAFKA_DATA,
        "KAFKA_HEAP_OPTS": f"-Xms{docker.kafka_heap_mib}m -Xmx{docker.kafka_heap_mib}m",
        # The official image reads CLUSTER_ID, the local one KAFKA_CLUSTER_ID.
        "CLUSTER_ID": kafka_cluster_id(iid),
        "KAFKA_CLUSTER_ID": kafka_cluster_id(iid),
    }
    plans = []
    for n, component in enumerate(controllers):
        listener = f"CONTROLLER://{host}:{ports[component]['controller']}"
        env = {
            **kafka_common,
            "KAFKA_NODE_ID": str(CONTROLLER_NODE_ID_BASE + n),
            "KAFKA_PROCESS_ROLES": "controller",
            "KAFKA_LISTENERS": listener,
            # The local image's health check talks to the first advertised listener.
            "KAFKA_ADVERTISED_LISTENERS": listener,
        }
        plans.append(plan(component, docker.kafka_image, env, KAFKA_DATA))
    # Internal topics can be no more replicated than there are brokers.
    internal_replication = str(min(len(brokers), 3))
    for n, component in enumerate(brokers):
        broker = f"BROKER://{host}:{ports[component]['client']}"
        listeners = broker
        if not controllers:
            listeners += f",CONTROLLER://{host}:{ports[component]['controller']}"
        env = {
            **kafka_common,
            "KAFKA_NODE_ID": str(n + 1),
            "KAFKA_PROCESS_ROLES": "broker" if controllers else "broker,controller",
            "KAFKA_LISTENERS": listeners,
            "KAFKA_ADVERTISED_LISTENERS": broker,
            "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": internal_replication,
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": internal_replication,
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": str(min(len(brokers), 2)),
            # Barito creates every topic itself, with its template's partitions.
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        }
        plans.append(plan(component, docker.kafka_image, env, KAFKA_DATA))

    engine = docker.search_engine
    heap = heap_mib(spec.template.search.heap)
    node_names = [container_name(docker.name_prefix, iid, c) for c in searches]
    for component, node_name in zip(searches, node_names, strict=True):
        env = {
            "cluster.name": f"barito-{short_id(iid)}",
            "node.name": node_name,
            "network.host": host,
            "http.port": str(ports[component]["http"]),
            "transport.port": str(ports[component]["transport"]),
            # Both images read their own variable; the other is ignored.
            "ES_JAVA_OPTS" if engine == "elasticsearch" else "OPENSEARCH_JAVA_OPTS": (
                f"-Xms{heap}m -Xmx{heap}m"
            ),
            **_search_security(engine),
        }
        if len(searches) == 1:
            env["discovery.type"] = "single-node"
        else:
            env["discovery.seed_hosts"] = ",".join(
                f"{host}:{ports[c]['transport']}" for c in searches
            )
            initial = (
                "cluster.initial_master_nodes"
                if engine == "elasticsearch"
                else "cluster.initial_cluster_manager_nodes"
            )
            env[initial] = ",".join(node_names)
        plans.append(plan(component, docker.search_image, env, f"/usr/share/{engine}/data"))

    search_url = f"http://{host}:{ports[searches[0]]['http']}"
    kibana_image = docker.kibana_image
    # wanted_components leaves Kibana out when no image is configured.
    if kibana_image is not None:
        for component in by_kind[ComponentKind.KIBANA]:
            env = {
                "SERVER_HOST": host,
                "SERVER_PORT": str(ports[component]["http"]),
                "SERVER_NAME": container_name(docker.name_prefix, iid, component),
            }
            if engine == "elasticsearch":
                env["ELASTICSEARCH_HOSTS"] = json.dumps([search_url])
            else:
                env["OPENSEARCH_HOSTS"] = json.dumps([search_url])
                env["DISABLE_SECURITY_DASHBOARDS_PLUGIN"] = "true"
            plans.append(plan(component, kibana_image, env, None))

    bootstrap = ",".join(f"{host}:{ports[b]['client']}" for b in brokers)
    for component in by_kind[ComponentKind.FLOW]:
        env = _flow_env(spec, settings, component, ports, bootstrap=bootstrap, search=search_url)
        plans.append(plan(component, docker.flow_image, env, None))
    return plans


def _search_security(engine: str) -> dict[str, str]:
    """The engine without security of its own: the dedicated engines listen on the
    advertised host only, and the installation sends them no credentials
    (barito_common.clusters)."""
    if engine == "elasticsearch":
        return {"xpack.security.enabled": "false"}
    # The official image reads these at start-up; as settings with dots they
    # would be refused by an engine built without the security plugin.
    return {"DISABLE_SECURITY_PLUGIN": "true", "DISABLE_INSTALL_DEMO_CONFIG": "true"}


def _flow_env(
    spec: InfrastructureSpec,
    settings: ProvisionerSettings,
    component: str,
    ports: Mapping[str, dict[str, int]],
    *,
    bootstrap: str,
    search: str,
) -> dict[str, str]:
    """The group's flow: log topics from the group's Kafka, the registry, usage and
    dead letters on the installation's (see barito_flow.settings)."""
    return {
        "BARITO_HOST": settings.docker.advertised_host,
        "BARITO_PORT": str(ports[component]["http"]),
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix,
        "BARITO_LOGS_BOOTSTRAP_SERVERS": bootstrap,
        "BARITO_SEARCH__URL": search,
        "BARITO_SEARCH__ENGINE": settings.docker.search_engine,
        "BARITO_SEARCH__INDEX_PREFIX": settings.search.index_prefix,
        "BARITO_APP_GROUP_ID": spec.group_id,
        # A group of its own per infrastructure: an old flow image that ignores
        # BARITO_LOGS_BOOTSTRAP_SERVERS would otherwise join the installation's
        # flows' group on the installation's Kafka and take their partitions.
        "BARITO_GROUP_ID": f"barito-flow-{short_id(spec.infrastructure_id)}",
    }
