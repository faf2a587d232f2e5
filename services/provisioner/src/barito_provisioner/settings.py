"""Settings of the provisioner service (env prefix ``BARITO_``).

Nested fragments use a double underscore, e.g. ``BARITO_DRIVER=nomad``,
``BARITO_NOMAD__ADDRESS=http://nomad.internal:4646``,
``BARITO_NOMAD__TASK_DRIVER=qemu``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from barito_common.settings import SearchSettings, ServiceSettings

__all__ = [
    "DockerSettings",
    "KubernetesSettings",
    "NomadSettings",
    "ProvisionerSettings",
    "SharedSettings",
    "get_settings",
]

Driver = Literal["shared", "docker", "nomad", "kubernetes"]

# services/provisioner/src/barito_provisioner/settings.py → the repository root.
_REPO_TEMPLATES = Path(__file__).resolve().parents[4] / "infra" / "templates"


class SharedSettings(BaseModel):
    """The ``shared`` driver: every group on the installation's own cluster."""

    model_config = ConfigDict(extra="forbid")

    flow_url: str | None = Field(
        None,
        description="Base URL of the installation's flow service; reported as flow-0 and "
        "checked through its /healthz. Unset: no flow component is reported.",
    )
    kibana_url: str | None = Field(
        None,
        description="Base URL of the installation's Kibana; reported as kibana-0 and checked "
        "through /api/status. Unset: no Kibana component is reported.",
    )


class DockerSettings(BaseModel):
    """The ``docker`` driver: a group's cluster as containers on one Docker host."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(
        "unix:///var/run/docker.sock", description="The Docker engine's API address."
    )
    api_version: str = Field(
        "1.41",
        description="Docker API version the driver speaks (1.41: Docker 20.10 and later); "
        '"auto" asks the engine.',
    )
    advertised_host: str = Field(
        "127.0.0.1",
        description="Host name or address under which the installation's services reach the "
        "containers (they use the host's network).",
    )
    port_min: int = Field(
        31000, ge=1024, le=65535, description="Lowest port the driver hands to a container."
    )
    port_max: int = Field(
        31999, ge=1024, le=65535, description="Highest port the driver hands to a container."
    )
    kafka_image: str = Field("apache/kafka:4.1.1", description="Image of Kafka (KRaft).")
    kafka_heap_mib: int = Field(
        512,
        ge=128,
        description="JVM heap of each Kafka broker and controller, in MiB (the capacity "
        "templates size only the search engine's heap).",
    )
    search_engine: Literal["elasticsearch", "opensearch"] = Field(
        "elasticsearch", description="Which engine search_image is."
    )
    search_image: str = Field(
        "docker.elastic.co/elasticsearch/elasticsearch:8.19.21",
        description="Image of the search nodes.",
    )
    kibana_image: str | None = Field(
        None,
        description="Image of Kibana. Unset: no Kibana is started, and its component says so.",
    )
    flow_image: str = Field("barito/flow:latest", description="Image of the flow service.")
    name_prefix: str = Field(
        "barito-", description="Prefix of every container and volume name the driver makes."
    )
    ready_timeout_s: float = Field(
        600.0,
        gt=0,
        description="How long bootstrapping waits for every container to be healthy before "
        "the step fails (and is retried).",
    )
    ready_poll_s: float = Field(2.0, gt=0, description="How often bootstrapping looks.")


class NomadSettings(BaseModel):
    """The ``nomad`` driver: one set of Nomad jobs per infrastructure."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field("http://127.0.0.1:4646", description="Nomad HTTP API address.")
    token: SecretStr | None = Field(
        None, description="Nomad ACL token (X-Nomad-Token; or ..._FILE: read from a file)."
    )
    namespace: str | None = Field(None, description="Nomad namespace of the jobs.")
    region: str | None = Field(None, description="Nomad region of the jobs.")
    datacenters: list[str] = Field(
        default_factory=lambda: ["dc1"], description="Datacenters the jobs may run in."
    )
    task_driver: Literal["lxc", "qemu"] = Field(
        "lxc",
        description="How each component runs: `lxc` (an LXC container from a template) or "
        "`qemu` (a VM from a disk image).",
    )
    lxc_template: str = Field(
        "/usr/share/lxc/templates/lxc-download",
        description="LXC template the containers are created from (lxc driver).",
    )
    image_dir: str = Field(
        "/var/lib/barito/images",
        description="Folder on the Nomad clients holding `<component>.qcow2` VM images "
        "(qemu driver).",
    )
    job_prefix: str = Field("barito-", description="Prefix of every job id the driver submits.")
    search_engine: Literal["elasticsearch", "opensearch"] = Field(
        "elasticsearch",
        description="Which engine the search job's task runs (what the group's flow and "
        "clients are told).",
    )
    timeout_s: float = Field(10.0, gt=0, description="Timeout of one Nomad API request.")
    ready_timeout_s: float = Field(
        900.0,
        gt=0,
        description="How long bootstrapping waits for every allocation to run before the "
        "step fails (and is retried).",
    )
    ready_poll_s: float = Field(5.0, gt=0, description="How often bootstrapping looks.")


class KubernetesSettings(BaseModel):
    """The ``kubernetes`` driver: one namespace of objects per infrastructure."""

    model_config = ConfigDict(extra="forbid")

    api_url: str | None = Field(
        None,
        description="Kubernetes API server URL. Unset: the kubeconfig file (or the in-cluster "
        "service account) is used.",
    )
    token: SecretStr | None = Field(
        None, description="Bearer token for api_url (or ..._FILE: read from a file)."
    )
    ca_file: str | None = Field(None, description="CA bundle that signed the API server's cert.")
    kubeconfig: str | None = Field(None, description="Path of a kubeconfig file.")
    namespace_prefix: str = Field(
        "barito-", description="Each infrastructure gets the namespace <prefix><group id>."
    )
    field_manager: str = Field(
        "barito-provisioner", description="Field manager named in server-side apply."
    )
    kafka_image: str = Field("apache/kafka:4.1.1", description="Image of Kafka brokers.")
    search_image: str = Field(
        "docker.elastic.co/elasticsearch/elasticsearch:8.19.7",
        description="Image of the search nodes.",
    )
    search_engine: Literal["elasticsearch", "opensearch"] = Field(
        "elasticsearch", description="Which engine search_image is."
    )
    kibana_image: str = Field(
        "docker.elastic.co/kibana/kibana:8.19.7", description="Image of Kibana."
    )
    flow_image: str = Field("barito/flow:latest", description="Image of the flow service.")
    storage_class: str | None = Field(
        None, description="StorageClass of the data volumes; unset: the cluster default."
    )
    ready_timeout_s: float = Field(
        900.0,
        gt=0,
        description="How long bootstrapping waits for every workload to be ready before the "
        "step fails (and is retried).",
    )
    ready_poll_s: float = Field(5.0, gt=0, description="How often bootstrapping looks.")


class ProvisionerSettings(ServiceSettings):
    """The provisioner: turns provisioning commands into infrastructure."""

    port: int = Field(18082, ge=1, le=65535, description="Port the provisioner listens on.")
    driver: Driver = Field(
        "shared",
        description="The installation's dedicated driver: where groups whose template says "
        "`placement: dedicated` get their own cluster (`docker`, `nomad` or `kubernetes`). "
        "`shared` (the single-machine default): there is none, and every group lives on the "
        "installation's own cluster.",
    )
    search: SearchSettings = Field(
        default_factory=SearchSettings,
        description="The installation's search engine (the shared driver's target).",
    )
    templates_dir: Path = Field(
        _REPO_TEMPLATES,
        description="Folder holding nomad/ and kubernetes/ infrastructure templates.",
    )
    shared: SharedSettings = Field(default_factory=SharedSettings)
    docker: DockerSettings = Field(default_factory=DockerSettings)
    nomad: NomadSettings = Field(default_factory=NomadSettings)
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    consumer_group: str = Field(
        "barito-provisioner", description="Kafka consumer group of the command consumer."
    )
    poll_interval_s: float = Field(
        15.0, gt=0, description="How often every component's state is refreshed."
    )
    step_attempts: int = Field(
        5, ge=1, description="Attempts of one provisioning step before the command ends in ERROR."
    )
    retry_base_s: float = Field(
        1.0, gt=0, description="Wait after a step's first failed attempt; doubled after each."
    )
    retry_cap_s: float = Field(30.0, gt=0, description="Longest wait between two attempts.")


def get_settings() -> ProvisionerSettings:
    return ProvisionerSettings()
