"""The ``docker`` driver: an app group's own cluster as containers on one Docker host.

Kafka (KRaft), the search engine's nodes, the group's flow processes and,
when an image is configured, Kibana, each a container on the host's network
listening on the advertised host at ports the driver allocates and records
as labels (naming.py). The driver makes and reports the cluster; the apps'
topics and index templates are put by the layer above, through ``cluster()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import docker

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
from barito_provisioner.drivers.docker.containers import (
    ContainerPlan,
    kind_of,
    plan_containers,
    wanted_components,
    wanted_ports,
)
from barito_provisioner.drivers.docker.engine import DockerEngine
from barito_provisioner.drivers.docker.naming import (
    COMPONENT_LABEL,
    CONFIG_LABEL,
    INFRASTRUCTURE_LABEL,
    config_digest,
    container_name,
    ports_of,
    volume_name,
)
from barito_provisioner.drivers.docker.ports import allocate_ports, port_is_free
from barito_provisioner.drivers.docker.states import (
    NO_KIBANA_IMAGE,
    component_of,
    health_of,
    missing_component,
    no_kibana,
)
from barito_provisioner.drivers.readiness import wait_until_driver_runs
from barito_provisioner.settings import DockerSettings, ProvisionerSettings

__all__ = ["DockerDriver"]

_PROBE_TIMEOUT_S = 1.0


class DockerDriver(Driver):
    name = "docker"

    def __init__(
        self, settings: ProvisionerSettings, client: docker.DockerClient | None = None
    ) -> None:
        self._settings = settings
        self._docker: DockerSettings = settings.docker
        self.engine = DockerEngine(settings.docker, client)
        # Two infrastructures provisioned at once must not pick the same free
        # port: allocation and creation happen under one lock per driver.
        self._allocating = asyncio.Lock()

    async def provision(self, spec: InfrastructureSpec) -> list[Component]:
        iid = spec.infrastructure_id
        components = wanted_components(spec, self._docker)
        async with self._allocating:
            every = await self.engine.containers()
            own = {_component(c): c for c in every if _infrastructure(c) == iid}
            taken = {p for c in every if _infrastructure(c) != iid for p in _ports(c).values()}
            ports = await asyncio.to_thread(
                allocate_ports,
                wanted_ports(components),
                {name: _ports(c) for name, c in own.items() if name in components},
                taken,
                port_range=(self._docker.port_min, self._docker.port_max),
                is_free=port_is_free,
            )
            plans = plan_containers(spec, self._settings, ports)
            # Every image first: a missing one fails the step before anything changes.
            for image in dict.fromkeys(plan.image for plan in plans):
                await self.engine.ensure_image(image)
            # Components the template no longer has go, with their data.
            for name, container in own.items():
                if name not in components:
                    await self.engine.remove(container["Id"])
                    await self.engine.remove_volumes(iid, name)
            for plan in plans:
                await self._converge(spec, plan, own.get(plan.component))
        return await self.poll(spec, ())

    async def _converge(
        self, spec: InfrastructureSpec, plan: ContainerPlan, current: dict[str, Any] | None
    ) -> None:
        """Make the component's container the planned one: keep, start, or replace it."""
        if current is not None:
            labels = (current.get("Config") or {}).get("Labels") or {}
            if labels.get(CONFIG_LABEL) == config_digest(plan.config()):
                if (current.get("State") or {}).get("Status") != "running":
                    await self.engine.start(current["Id"])
                return
            # Another image, heap or peer list: recreated on the same volume and ports.
            await self.engine.remove(current["Id"])
        volume = None
        if plan.data_path is not None:
            volume = volume_name(self._docker.name_prefix, spec.infrastructure_id, plan.component)
        await self.engine.create(plan, infrastructure_id=spec.infrastructure_id, volume=volume)

    async def bootstrap(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        return await wait_until_driver_runs(
            self, spec, self._docker, optional=lambda c: c.message == NO_KIBANA_IMAGE
        )

    async def deprovision(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        known = await self.poll(spec, ())
        for container in await self.engine.containers(spec.infrastructure_id):
            await self.engine.remove(container["Id"])
        await self.engine.remove_volumes(spec.infrastructure_id)
        return [
            c.model_copy(update={"state": ComponentState.DELETED, "message": None}) for c in known
        ]

    async def poll(self, spec: InfrastructureSpec, known: Sequence[Component]) -> list[Component]:
        previous = {c.name: c for c in known}
        try:
            own = {_component(c): c for c in await self.engine.containers(spec.infrastructure_id)}
        except DriverError as err:
            return [
                Component(
                    name=name,
                    kind=kind_of(name),
                    address=previous[name].address if name in previous else None,
                    state=ComponentState.ERROR,
                    message=str(err),
                )
                for name in _all_components(spec)
            ]
        components = []
        for name in _all_components(spec):
            if kind_of(name) is ComponentKind.KIBANA and self._docker.kibana_image is None:
                components.append(no_kibana(name))
                continue
            container = own.get(name)
            if container is None:
                cname = container_name(self._docker.name_prefix, spec.infrastructure_id, name)
                components.append(
                    missing_component(
                        name, kind_of(name), container=cname, known=previous.get(name)
                    )
                )
                continue
            components.append(await self._observe(name, container))
        return components

    async def _observe(self, name: str, container: dict[str, Any]) -> Component:
        ports = _ports(container)
        address_port = ports.get("client") or ports.get("controller") or ports.get("http")
        address = f"{self._docker.advertised_host}:{address_port}" if address_port else None
        state = (container.get("State") or {}).get("Status")
        answers = None
        if state == "running" and health_of(container) is None and address_port:
            # The image has no health check of its own (the official Kafka and
            # Elasticsearch images): an open port is the best sign it serves.
            answers = await _port_answers(self._docker.advertised_host, address_port)
        last_log = None
        if state in {"exited", "dead", "restarting"}:
            last_log = await self.engine.last_log_line(container["Id"])
        return component_of(
            name, kind_of(name), container, address=address, answers=answers, last_log=last_log
        )

    def cluster(
        self, spec: InfrastructureSpec, components: Sequence[Component]
    ) -> ClusterCoordinates:
        """The coordinates from the components' addresses (which carry the recorded ports)."""

        def addresses(kind: ComponentKind) -> list[str]:
            chosen = sorted(
                (c for c in components if c.kind is kind and c.address),
                key=lambda c: int(c.name.rsplit("-", 1)[1]),
            )
            return [str(c.address) for c in chosen]

        brokers = addresses(ComponentKind.KAFKA)
        searches = addresses(ComponentKind.SEARCH)
        if not brokers or not searches:
            raise DriverError(
                f"infrastructure {spec.infrastructure_id} has no Kafka or search address yet: "
                "provision it first"
            )
        kibanas = addresses(ComponentKind.KIBANA)
        return ClusterCoordinates(
            infrastructure_id=spec.infrastructure_id,
            kafka_bootstrap_servers=",".join(brokers),
            search_url=f"http://{searches[0]}",
            search_engine=self._docker.search_engine,
            kibana_url=f"http://{kibanas[0]}" if kibanas else None,
        )

    async def check(self) -> None:
        await self.engine.ping()

    async def close(self) -> None:
        await self.engine.close()


def _all_components(spec: InfrastructureSpec) -> list[str]:
    return [
        f"{k.value}-{n}"
        for k, count in component_counts(spec.template).items()
        for n in range(count)
    ]


def _labels(container: dict[str, Any]) -> dict[str, str]:
    return dict((container.get("Config") or {}).get("Labels") or {})


def _infrastructure(container: dict[str, Any]) -> str | None:
    return _labels(container).get(INFRASTRUCTURE_LABEL)


def _component(container: dict[str, Any]) -> str:
    return _labels(container).get(COMPONENT_LABEL, "")


def _ports(container: dict[str, Any]) -> dict[str, int]:
    return ports_of(_labels(container))


async def _port_answers(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), _PROBE_TIMEOUT_S)
    except (OSError, TimeoutError):
        return False
    writer.close()
    await writer.wait_closed()
    return True
