"""Routing each infrastructure to the driver its placement names (architecture §6).

The provisioner always has the shared driver (the installation's own Kafka
and search engine) and, when ``BARITO_DRIVER`` names one, a dedicated driver
(docker, nomad, kubernetes). :class:`PlacedDriver` is the one driver the
command handler and the poller see:

* ``placement: shared`` → the shared driver, as before dedicated clusters.
* ``placement: dedicated`` → the dedicated driver makes the cluster and waits
  until it runs; then the group's apps get their topics and index templates
  on that cluster (``cluster_bootstrap``, the code the shared driver uses).
  Deleting removes the cluster and also the group's leftovers on the shared
  cluster: a group that moved from shared to dedicated left its old topics
  and indices there.
* ``placement: dedicated`` with no dedicated driver → the shared driver, and
  :meth:`PlacedDriver.placement_note` says so for the events' messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from barito_common.clusters import kafka_settings_for, search_settings_for
from barito_common.schemas import (
    AppProfile,
    ClusterCoordinates,
    Component,
    ComponentKind,
    Placement,
)
from barito_common.search import create_search_adapter
from barito_common.settings import KafkaSettings, SearchSettings
from barito_provisioner.drivers.base import Driver, DriverError, InfrastructureSpec
from barito_provisioner.drivers.cluster_bootstrap import ClusterBootstrap, dedicated_fixes, present

__all__ = ["NO_DEDICATED_DRIVER", "PlacedDriver"]

NO_DEDICATED_DRIVER = (
    "placement dedicated, but this installation has no dedicated driver (BARITO_DRIVER=shared): "
    "the group lives on the shared cluster"
)


class PlacedDriver(Driver):
    """The shared driver and, optionally, a dedicated one; each spec goes to its placement's."""

    def __init__(
        self,
        shared: Driver,
        dedicated: Driver | None,
        *,
        kafka: KafkaSettings,
        search: SearchSettings,
    ) -> None:
        self.shared = shared
        self.dedicated = dedicated
        self.name = shared.name if dedicated is None else f"{shared.name}+{dedicated.name}"
        # The installation's settings: a dedicated cluster's clients are these,
        # pointed at its addresses (same topic and index prefixes).
        self._kafka = kafka
        self._search = search

    def is_dedicated(self, spec: InfrastructureSpec) -> bool:
        """Whether ``spec`` lives on a dedicated cluster in this installation."""
        return spec.placement is Placement.DEDICATED and self.dedicated is not None

    def placement_note(self, spec: InfrastructureSpec) -> str | None:
        """What an event's message adds when the placement asked for cannot be had."""
        if spec.placement is Placement.DEDICATED and self.dedicated is None:
            return NO_DEDICATED_DRIVER
        return None

    def _driver(self, spec: InfrastructureSpec) -> Driver:
        if self.dedicated is not None and spec.placement is Placement.DEDICATED:
            return self.dedicated
        return self.shared

    # -- steps ----------------------------------------------------------------------

    async def provision(self, spec: InfrastructureSpec) -> list[Component]:
        return await self._driver(spec).provision(spec)

    async def bootstrap(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        driver = self._driver(spec)
        components = await driver.bootstrap(spec, apps)
        if driver is self.dedicated:
            cluster = driver.cluster(spec, components)
            if cluster is None:
                raise DriverError(
                    f"the {driver.name} driver reported no coordinates for the running "
                    f"cluster of {spec.infrastructure_id}; this is a bug in the driver"
                )
            await self._add_apps(cluster, spec, apps, components)
        return components

    async def bootstrap_apps(
        self,
        spec: InfrastructureSpec,
        apps: Sequence[AppProfile],
        cluster: ClusterCoordinates | None,
        known: Sequence[Component],
    ) -> None:
        """Give new apps of a running group their topics and index templates.

        ``cluster`` is the one the group's events last reported: the apps go
        straight to it, as the dedicated driver's bootstrap would wait
        (minutes) for every component, holding the lock polling needs. None:
        the group's apps live on the shared cluster, also a dedicated group
        made before events carried coordinates, until a command bootstraps
        its cluster and reports it.
        """
        if self.is_dedicated(spec) and cluster is not None:
            await self._add_apps(cluster, spec, apps, known)
        else:
            await self.shared.bootstrap(spec, apps)

    async def deprovision(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        driver = self._driver(spec)
        components = await driver.deprovision(spec, apps)
        if driver is not self.shared:
            # A group that moved here from the shared cluster left its old topics
            # and indices there (drained, expiring by retention): they go too.
            await self.shared.deprovision(spec, apps)
        return components

    async def poll(self, spec: InfrastructureSpec, known: Sequence[Component]) -> list[Component]:
        return await self._driver(spec).poll(spec, known)

    def cluster(
        self, spec: InfrastructureSpec, components: Sequence[Component]
    ) -> ClusterCoordinates | None:
        return self._driver(spec).cluster(spec, components)

    async def check(self) -> None:
        await self.shared.check()
        if self.dedicated is not None:
            await self.dedicated.check()

    async def close(self) -> None:
        await asyncio.gather(
            self.shared.close(),
            *([] if self.dedicated is None else [self.dedicated.close()]),
        )

    # -- the dedicated cluster's part ------------------------------------------------------

    async def _add_apps(
        self,
        cluster: ClusterCoordinates,
        spec: InfrastructureSpec,
        apps: Sequence[AppProfile],
        components: Sequence[Component],
    ) -> None:
        if not apps:
            return
        search = create_search_adapter(search_settings_for(self._search, cluster))
        try:
            await ClusterBootstrap(
                kafka_settings_for(self._kafka, cluster), search, dedicated_fixes(cluster)
            ).add_apps(
                spec.template,
                apps,
                brokers=present(components, ComponentKind.KAFKA),
                nodes=present(components, ComponentKind.SEARCH),
            )
        finally:
            await search.close()
