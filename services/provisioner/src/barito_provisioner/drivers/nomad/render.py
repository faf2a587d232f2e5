"""Rendering ``infra/templates/nomad/*.yaml`` into Nomad jobs (JSON API form).

One job per component kind (kafka, controller, search, kibana, flow), its
task group's count from the capacity template; the task driver (LXC
container or QEMU VM) and its config come from ``task-drivers/<driver>.yaml``
as the installation's settings choose. The jobs find each other through
Nomad's own service discovery (``nomadService`` in task templates): the
group's flow reads the group's Kafka and writes its search engine at the
addresses of their services, which are their allocations' host addresses,
the ones the driver reports as the cluster's coordinates. The flow is also
told the installation's Kafka and prefixes (``Installation``).

Example::

    jobs = render_jobs(
        spec, settings.nomad, settings.templates_dir / "nomad", Installation.of(settings)
    )
    jobs["barito-infra-1-kafka"]["TaskGroups"][0]["Count"]     # brokers
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from barito_common.schemas import ComponentKind
from barito_provisioner.drivers.base import InfrastructureSpec, component_counts
from barito_provisioner.drivers.installation import Installation
from barito_provisioner.settings import NomadSettings
from barito_provisioner.template_fill import fill, load_template

__all__ = ["NomadJob", "job_id", "render_jobs"]

_MIB = {"MiB": 1, "GiB": 1024}


@dataclass(frozen=True)
class NomadJob:
    kind: ComponentKind
    id: str
    count: int
    job: dict[str, Any]


def job_id(settings: NomadSettings, infrastructure_id: str, kind: ComponentKind) -> str:
    return f"{settings.job_prefix}{infrastructure_id}-{kind.value}"


def _heap_mb(heap: str) -> int:
    for unit, factor in _MIB.items():
        if heap.endswith(unit):
            return int(heap.removesuffix(unit)) * factor
    raise ValueError(f"heap {heap!r} is neither MiB nor GiB")


def _service_addresses(service: str, scheme: str = "") -> str:
    # Nomad's template language, filled in on the client when the task starts.
    return (
        f'{{{{ range $i, $s := nomadService "{service}" }}}}{{{{ if $i }}}},{{{{ end }}}}'
        f"{scheme}{{{{ .Address }}}}:{{{{ .Port }}}}{{{{ end }}}}"
    )


def _first_service_address(service: str) -> str:
    return (
        f'{{{{ with index (nomadService "{service}") 0 }}}}'
        "{{ .Address }}:{{ .Port }}{{ end }}"
    )


def render_jobs(
    spec: InfrastructureSpec, settings: NomadSettings, directory: Path, installation: Installation
) -> dict[ComponentKind, NomadJob]:
    """Every job of the infrastructure, by component kind (kinds with no instance omitted)."""
    template = spec.template
    ids = {kind: job_id(settings, spec.infrastructure_id, kind) for kind in ComponentKind}
    combined = template.kafka.controllers == "combined"
    heap_mb = _heap_mb(template.search.heap)
    driver_file = directory / "task-drivers" / f"{settings.task_driver}.yaml"
    driver_template = load_template(driver_file)
    common = {
        **installation.template_context(),
        "search_engine": settings.search_engine,
        "infrastructure_id": spec.infrastructure_id,
        "group_id": spec.group_id,
        "datacenters": list(settings.datacenters),
        "lxc_template": settings.lxc_template,
        "image_dir": settings.image_dir.rstrip("/"),
        "kafka_roles": "broker,controller" if combined else "broker",
        "kafka_listeners": "PLAINTEXT://0.0.0.0:9092"
        + (",CONTROLLER://0.0.0.0:9093" if combined else ""),
        "controller_quorum_template": _service_addresses(
            f"{ids[ComponentKind.KAFKA]}-controller" if combined else ids[ComponentKind.CONTROLLER]
        ),
        # Env values are strings in Nomad's API.
        "partitions": str(template.kafka.partitions),
        "replication": str(template.kafka.replication),
        "min_insync_replicas": str(template.kafka.min_insync_replicas),
        "heap_mb": heap_mb,
        # The JVM heap is half the memory; the rest is the page cache Lucene lives on.
        "memory_mb": heap_mb * 2,
        "search_hosts_template": _service_addresses(ids[ComponentKind.SEARCH], "http://"),
        "search_host_template": _first_service_address(ids[ComponentKind.SEARCH]),
        "kafka_hosts_template": _service_addresses(ids[ComponentKind.KAFKA]),
    }
    jobs: dict[ComponentKind, NomadJob] = {}
    for kind, count in component_counts(spec.template).items():
        if count == 0:
            continue
        driver = fill(driver_template, {**common, "component": kind.value}, source=str(driver_file))
        context = {
            **common,
            "job_id": ids[kind],
            "count": count,
            "task_driver": driver["Driver"],
            "task_config": driver["Config"],
        }
        path = directory / f"{kind.value}.yaml"
        job = fill(load_template(path), context, source=str(path))
        jobs[kind] = NomadJob(kind=kind, id=ids[kind], count=count, job=job)
    return jobs
