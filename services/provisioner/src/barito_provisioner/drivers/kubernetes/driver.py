"""The ``kubernetes`` driver: apply the rendered objects, poll their rollout status.

A dedicated driver: its cluster's coordinates are the Services' DNS names,
which the installation's services (in the same Kubernetes cluster) resolve.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from barito_common.schemas import (
    AppProfile,
    ClusterCoordinates,
    Component,
    ComponentKind,
    ComponentState,
)
from barito_provisioner.drivers.base import Driver, InfrastructureSpec, component_counts
from barito_provisioner.drivers.installation import Installation
from barito_provisioner.drivers.kubernetes.api import KubernetesApi
from barito_provisioner.drivers.kubernetes.render import (
    WORKLOADS,
    cluster_coordinates,
    namespace_name,
    render_objects,
)
from barito_provisioner.drivers.readiness import wait_until_driver_runs
from barito_provisioner.settings import KubernetesSettings, ProvisionerSettings

__all__ = ["KubernetesDriver", "components_of"]


def components_of(
    kind: ComponentKind, namespace: str, workload: dict[str, Any] | None, replicas: int
) -> list[Component]:
    """One component per wanted replica: the first ``readyReplicas`` are active (pure)."""
    spec = WORKLOADS[kind]
    if workload is None:
        return [
            Component(
                name=f"{kind.value}-{n}",
                kind=kind,
                state=ComponentState.PENDING,
                message=f"{spec.kind} {spec.name} is not applied",
            )
            for n in range(replicas)
        ]
    status = workload.get("status") or {}
    ready = int(status.get("readyReplicas") or 0)
    components = []
    for n in range(replicas):
        if spec.kind == "StatefulSet":
            address = f"{spec.name}-{n}.{spec.service}.{namespace}.svc:{spec.port}"
        else:
            address = f"{spec.service}.{namespace}.svc:{spec.port}"
        active = n < ready
        components.append(
            Component(
                name=f"{kind.value}-{n}",
                kind=kind,
                address=address,
                state=ComponentState.ACTIVE if active else ComponentState.PROVISIONING,
                message=None if active else f"not ready ({ready}/{replicas} ready)",
            )
        )
    return components


class KubernetesDriver(Driver):
    name = "kubernetes"

    def __init__(self, settings: ProvisionerSettings, api: KubernetesApi | None = None) -> None:
        self._settings: KubernetesSettings = settings.kubernetes
        self._directory = settings.templates_dir / "kubernetes"
        self._installation = Installation.of(settings)
        self.api = api or KubernetesApi(settings.kubernetes)

    def render(self, spec: InfrastructureSpec) -> list[dict[str, Any]]:
        return render_objects(spec, self._settings, self._directory, self._installation)

    def cluster(
        self, spec: InfrastructureSpec, components: Sequence[Component]
    ) -> ClusterCoordinates:
        return cluster_coordinates(spec, self._settings)

    async def provision(self, spec: InfrastructureSpec) -> list[Component]:
        objects = self.render(spec)
        for body in objects:
            await self.api.apply(body)
        # Dedicated controllers the template no longer has (now "combined") go.
        if component_counts(spec.template)[ComponentKind.CONTROLLER] == 0:
            namespace = namespace_name(self._settings, spec.infrastructure_id)
            await self.api.delete("StatefulSet", "controller", namespace)
            await self.api.delete("Service", "controller", namespace)
        return await self.poll(spec, ())

    async def bootstrap(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        return await wait_until_driver_runs(self, spec, self._settings)

    async def deprovision(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        known = await self.poll(spec, ())
        objects = self.render(spec)
        # Each object explicitly, newest first, then the namespace: deleting only
        # the namespace would leave the objects to the namespace controller.
        for body in reversed(objects[1:]):
            metadata = body["metadata"]
            await self.api.delete(body["kind"], metadata["name"], metadata.get("namespace"))
        await self.api.delete("Namespace", objects[0]["metadata"]["name"], None)
        return [
            c.model_copy(update={"state": ComponentState.DELETED, "message": None}) for c in known
        ]

    async def poll(self, spec: InfrastructureSpec, known: Sequence[Component]) -> list[Component]:
        namespace = namespace_name(self._settings, spec.infrastructure_id)
        components: list[Component] = []
        for kind, replicas in component_counts(spec.template).items():
            if replicas == 0:
                continue
            workload = WORKLOADS[kind]
            stored = await self.api.read(workload.kind, workload.name, namespace)
            components += components_of(kind, namespace, stored, replicas)
        return components

    async def check(self) -> None:
        await self.api.version()

    async def close(self) -> None:
        await self.api.close()
