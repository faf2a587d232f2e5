"""What every driver does, and the description of an infrastructure it works from.

A driver makes an app group's infrastructure real on one kind of target and
reports its components. Each method is idempotent: the executor retries a
failed step with backoff, and a retry command runs a step again.

Exceptions::

    Exception
    └── DriverError        a step failed; the message says what to fix
        └── NotReadyYet    the components exist but do not all run yet
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from barito_common.capacity import CapacityTemplate
from barito_common.schemas import (
    AppProfile,
    ClusterCoordinates,
    Component,
    ComponentKind,
    ComponentState,
    Placement,
)

__all__ = [
    "Driver",
    "DriverError",
    "InfrastructureSpec",
    "NotReadyYet",
    "component_counts",
    "planned_components",
]


class DriverError(Exception):
    """A step failed; the message says what an operator can do about it."""


class NotReadyYet(DriverError):
    """The components exist but not all of them run yet."""


@dataclass(frozen=True)
class InfrastructureSpec:
    """One app group's infrastructure as a command describes it."""

    infrastructure_id: str
    group_id: str
    template: CapacityTemplate
    placement: Placement = Placement.SHARED


def component_counts(template: CapacityTemplate) -> dict[ComponentKind, int]:
    """How many of each component a dedicated infrastructure of ``template`` has."""
    controllers = template.kafka.controllers
    return {
        ComponentKind.KAFKA: template.kafka.brokers,
        # "combined": the brokers are the KRaft controllers, no separate ones.
        ComponentKind.CONTROLLER: 0 if controllers == "combined" else controllers,
        ComponentKind.SEARCH: template.search.nodes,
        ComponentKind.KIBANA: template.kibana.replicas,
        ComponentKind.FLOW: template.flow.replicas,
    }


def planned_components(
    template: CapacityTemplate, state: ComponentState = ComponentState.PENDING
) -> list[Component]:
    """Every component a dedicated infrastructure of ``template`` has, in one state."""
    return [
        Component(name=f"{kind.value}-{n}", kind=kind, state=state)
        for kind, count in component_counts(template).items()
        for n in range(count)
    ]


class Driver(abc.ABC):
    """Makes infrastructure real on one kind of target."""

    name: str

    @abc.abstractmethod
    async def provision(self, spec: InfrastructureSpec) -> list[Component]:
        """Create or resize every component; return them as they are now."""

    @abc.abstractmethod
    async def bootstrap(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        """Make the components serve ``apps``; raise NotReadyYet while they do not run."""

    @abc.abstractmethod
    async def deprovision(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        """Remove everything the infrastructure has; return the components as deleted."""

    @abc.abstractmethod
    async def poll(self, spec: InfrastructureSpec, known: Sequence[Component]) -> list[Component]:
        """Every component's state now; never raises for an unreachable component."""

    def cluster(
        self, spec: InfrastructureSpec, components: Sequence[Component]
    ) -> ClusterCoordinates | None:
        """Where the infrastructure's Kafka, search engine and viewer answer, as the
        installation's services reach them; None for the shared cluster (pure)."""
        return None

    async def check(self) -> None:  # noqa: B027 - optional hook
        """For /readyz: raise unless the driver's target answers."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release clients."""
