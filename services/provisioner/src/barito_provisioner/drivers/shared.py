"""The ``shared`` driver: every group lives on the installation's own cluster.

The single-machine default. Nothing is started: the components are the
installation's own Kafka brokers and search nodes (and its flow and Kibana,
when their URLs are configured), reported with their real addresses. What a
group gets is its apps' log topics, sized by the template (partitions raised,
never lowered; replication capped by the brokers present), and each app's
index template (replicas capped by the search nodes present), made by
``cluster_bootstrap`` as on a dedicated cluster.

Deleting a group deletes only its apps' own daily indices: the pattern of
an app ``shop`` also matches those of ``shop-api``, which another group may own.

The market creates each app's log topic when it registers the app, so that
ingest works before any provisioner ran: creating it here is create-if-missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx

from barito_common.kafka import create_admin
from barito_common.schemas import AppProfile, Component, ComponentKind, ComponentState
from barito_common.search import SearchAdapter
from barito_common.settings import KafkaSettings
from barito_provisioner.drivers.base import Driver, DriverError, InfrastructureSpec
from barito_provisioner.drivers.cluster_bootstrap import SHARED_FIXES, ClusterBootstrap, present
from barito_provisioner.settings import SharedSettings

__all__ = ["SharedDriver"]

_ACTIVE, _ERROR, _DELETED = ComponentState.ACTIVE, ComponentState.ERROR, ComponentState.DELETED


class SharedDriver(Driver):
    name = "shared"

    def __init__(
        self,
        *,
        kafka: KafkaSettings,
        search: SearchAdapter,
        shared: SharedSettings,
        http_timeout_s: float = 5.0,
    ) -> None:
        self._kafka = kafka
        self._search = search
        self._apps = ClusterBootstrap(kafka, search, SHARED_FIXES)
        self._shared = shared
        self._http = httpx.AsyncClient(timeout=http_timeout_s)

    # -- steps ----------------------------------------------------------------------

    async def provision(self, spec: InfrastructureSpec) -> list[Component]:
        # Nothing to create: the cluster exists. Proving that Kafka answers now
        # makes PROVISIONING fail where an operator can see why; the search
        # engine is needed (and checked) by the bootstrap step.
        return await self._components(strict_kafka=True)

    async def bootstrap(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        components = await self._components(strict_kafka=True, strict_search=True)
        await self._apps.add_apps(
            spec.template,
            apps,
            brokers=present(components, ComponentKind.KAFKA),
            nodes=present(components, ComponentKind.SEARCH),
        )
        return components

    async def deprovision(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        known = await self._components()
        await self._apps.remove_apps(apps)
        # The shared cluster itself stays: only the group's part of it is gone.
        return [c.model_copy(update={"state": _DELETED, "message": None}) for c in known]

    async def poll(self, spec: InfrastructureSpec, known: Sequence[Component]) -> list[Component]:
        return await self._components(known=known)

    async def check(self) -> None:
        await self._search.ping()

    async def close(self) -> None:
        await self._http.aclose()
        await self._search.close()

    # -- components ---------------------------------------------------------------------

    async def _brokers(self) -> list[Component]:
        admin = create_admin(self._kafka)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
        finally:
            await admin.close()
        brokers = sorted(cluster.get("brokers", []), key=lambda b: b["node_id"])
        if not brokers:
            raise DriverError("Kafka reports no live brokers")
        return [
            Component(
                name=f"kafka-{n}",
                kind=ComponentKind.KAFKA,
                address=f"{broker['host']}:{broker['port']}",
                state=_ACTIVE,
            )
            for n, broker in enumerate(brokers)
        ]

    async def _components(
        self,
        *,
        strict_kafka: bool = False,
        strict_search: bool = False,
        known: Sequence[Component] = (),
    ) -> list[Component]:
        """The installation's components now.

        With ``strict_kafka`` / ``strict_search``, an unreachable Kafka / search
        engine raises DriverError (the step fails). Otherwise its components
        are reported in ERROR, keeping the names and addresses they had.
        """
        kafka, search = await asyncio.gather(
            self._brokers(), self._search.http_nodes(), return_exceptions=True
        )
        components: list[Component] = []
        if isinstance(kafka, BaseException):
            message = f"Kafka at {self._kafka.bootstrap_servers} does not answer: {kafka!r}"
            if strict_kafka:
                raise DriverError(
                    f"{message}. Start Kafka (barito stack up) or fix "
                    "BARITO_KAFKA__BOOTSTRAP_SERVERS, then retry."
                ) from kafka
            components += _unreachable(known, ComponentKind.KAFKA, message)
        else:
            components += kafka
        if isinstance(search, BaseException):
            message = f"the search engine does not answer: {search}"
            if strict_search:
                raise DriverError(
                    f"{message}. Start the search engine (barito stack up) or fix "
                    "BARITO_SEARCH__URL, then retry."
                ) from search
            components += _unreachable(known, ComponentKind.SEARCH, message)
        else:
            components += [
                Component(
                    name=f"search-{n}", kind=ComponentKind.SEARCH, address=address, state=_ACTIVE
                )
                for n, (_, address) in enumerate(search)
            ]
        if self._shared.kibana_url:
            components.append(
                await self._http_component(
                    ComponentKind.KIBANA, self._shared.kibana_url, "api/status"
                )
            )
        if self._shared.flow_url:
            components.append(
                await self._http_component(ComponentKind.FLOW, self._shared.flow_url, "healthz")
            )
        return components

    async def _http_component(self, kind: ComponentKind, url: str, path: str) -> Component:
        name = f"{kind.value}-0"
        try:
            response = await self._http.get(f"{url.rstrip('/')}/{path}")
        except httpx.HTTPError as err:
            return Component(
                name=name, kind=kind, address=url, state=_ERROR, message=f"no answer: {err!r}"
            )
        if response.status_code != 200:
            return Component(
                name=name,
                kind=kind,
                address=url,
                state=_ERROR,
                message=f"/{path} answered {response.status_code}",
            )
        return Component(name=name, kind=kind, address=url, state=_ACTIVE)


def _unreachable(known: Sequence[Component], kind: ComponentKind, message: str) -> list[Component]:
    previous = [c for c in known if c.kind is kind]
    if not previous:
        previous = [Component(name=f"{kind.value}-0", kind=kind, state=_ERROR)]
    return [c.model_copy(update={"state": _ERROR, "message": message}) for c in previous]
