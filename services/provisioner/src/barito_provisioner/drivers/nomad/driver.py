"""The ``nomad`` driver: submit the rendered jobs, poll their allocations.

A dedicated driver: its cluster's coordinates are the running allocations'
host addresses, the same ones Nomad's service discovery hands the group's
flow (render.py), since the jobs register their services at those ports.
"""

from __future__ import annotations

from collections.abc import Sequence

from barito_common.schemas import (
    AppProfile,
    ClusterCoordinates,
    Component,
    ComponentKind,
    ComponentState,
)
from barito_provisioner.drivers.base import (
    Driver,
    DriverError,
    InfrastructureSpec,
    component_counts,
)
from barito_provisioner.drivers.installation import Installation
from barito_provisioner.drivers.nomad.allocations import (
    ADDRESS_PORT,
    address_of,
    component_of,
    current_allocations,
)
from barito_provisioner.drivers.nomad.client import NomadClient
from barito_provisioner.drivers.nomad.render import job_id, render_jobs
from barito_provisioner.drivers.readiness import wait_until_driver_runs
from barito_provisioner.settings import NomadSettings, ProvisionerSettings

__all__ = ["NomadDriver", "cluster_of"]


def cluster_of(
    spec: InfrastructureSpec, components: Sequence[Component], settings: NomadSettings
) -> ClusterCoordinates:
    """The coordinates of a running infrastructure from its components' addresses (pure)."""

    def addresses(kind: ComponentKind) -> list[str]:
        return [c.address for c in components if c.kind is kind and c.address]

    brokers = addresses(ComponentKind.KAFKA)
    search = addresses(ComponentKind.SEARCH)
    kibana = addresses(ComponentKind.KIBANA)
    if not brokers or not search:
        raise DriverError(
            f"no running Kafka broker or search node of {spec.infrastructure_id} has an "
            "address yet; retry once its allocations run"
        )
    return ClusterCoordinates(
        infrastructure_id=spec.infrastructure_id,
        kafka_bootstrap_servers=",".join(brokers),
        search_url=f"http://{search[0]}",
        search_engine=settings.search_engine,
        kibana_url=f"http://{kibana[0]}" if kibana else None,
    )


class NomadDriver(Driver):
    name = "nomad"

    def __init__(self, settings: ProvisionerSettings, client: NomadClient | None = None) -> None:
        self._settings: NomadSettings = settings.nomad
        self._directory = settings.templates_dir / "nomad"
        self._installation = Installation.of(settings)
        self._client = client or NomadClient(settings.nomad)

    async def provision(self, spec: InfrastructureSpec) -> list[Component]:
        jobs = render_jobs(spec, self._settings, self._directory, self._installation)
        for job in jobs.values():
            await self._client.register(job.id, job.job)
        # A kind the template no longer has (controllers → "combined") goes.
        for kind in ComponentKind:
            if kind not in jobs:
                await self._client.deregister(job_id(self._settings, spec.infrastructure_id, kind))
        return await self.poll(spec, ())

    async def bootstrap(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        return await wait_until_driver_runs(self, spec, self._settings)

    async def deprovision(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        known = await self.poll(spec, ())
        for kind in ComponentKind:
            await self._client.deregister(job_id(self._settings, spec.infrastructure_id, kind))
        return [
            c.model_copy(update={"state": ComponentState.DELETED, "message": None}) for c in known
        ]

    async def poll(self, spec: InfrastructureSpec, known: Sequence[Component]) -> list[Component]:
        components: list[Component] = []
        for kind, count in component_counts(spec.template).items():
            if count == 0:
                continue
            name = job_id(self._settings, spec.infrastructure_id, kind)
            stubs = await self._client.allocations(name)
            chosen = current_allocations(stubs or [])
            for index in range(count):
                stub = chosen.get(index)
                if stub is None:
                    components.append(
                        Component(
                            name=f"{kind.value}-{index}",
                            kind=kind,
                            state=ComponentState.PENDING,
                            message="job not registered" if stubs is None else "not placed yet",
                        )
                    )
                    continue
                address = None
                if stub.get("ClientStatus") == "running":
                    detail = await self._client.allocation(str(stub["ID"]))
                    address = address_of(detail, ADDRESS_PORT[kind])
                components.append(component_of(kind, index, stub, address))
        return components

    def cluster(
        self, spec: InfrastructureSpec, components: Sequence[Component]
    ) -> ClusterCoordinates:
        return cluster_of(spec, components, self._settings)

    async def check(self) -> None:
        await self._client.leader()
