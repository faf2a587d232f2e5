"""Routing by placement, and the cluster every event carries (no I/O).

The drivers here are stand-ins that record their calls; the groups have no
apps, so no topic or index template is made (that part runs against the real
engines in test_placement_on_engines.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from barito_common.schemas import (
    AppProfile,
    AppStatus,
    ClusterCoordinates,
    Component,
    ComponentKind,
    ComponentState,
    InfrastructureState,
    Placement,
    ProvisionCommand,
    ProvisionCommandKind,
    ProvisionEvent,
)
from barito_common.settings import KafkaSettings, SearchSettings
from barito_provisioner.command_handler import CommandHandler, Reporter, spec_of
from barito_provisioner.drivers.base import Driver, InfrastructureSpec
from barito_provisioner.drivers.placement import NO_DEDICATED_DRIVER, PlacedDriver
from barito_provisioner.event_publisher import EventPublisher
from barito_provisioner.group_apps import GroupApps
from barito_provisioner.journal import Journal
from barito_provisioner.poller import Poller
from barito_provisioner.retry_policy import RetryPolicy
from barito_testing.stack import shipped_templates

S = InfrastructureState
NOW = datetime(2026, 1, 2, tzinfo=UTC)
CLUSTER = ClusterCoordinates(
    infrastructure_id="infra-1",
    kafka_bootstrap_servers="10.0.0.5:31001,10.0.0.5:31002",
    search_url="http://10.0.0.5:31010",
    search_engine="elasticsearch",
)
SMALL = shipped_templates()["small"].model_dump(mode="json")


class RecordingDriver(Driver):
    """Records each call; its components are one running Kafka broker."""

    def __init__(self, name: str, cluster: ClusterCoordinates | None = None) -> None:
        self.name = name
        self.calls: list[tuple[str, str]] = []
        self._cluster = cluster
        self.components = [
            Component(
                name="kafka-0",
                kind=ComponentKind.KAFKA,
                address=f"{name}:9092",
                state=ComponentState.ACTIVE,
            )
        ]

    async def provision(self, spec: InfrastructureSpec) -> list[Component]:
        self.calls.append(("provision", spec.infrastructure_id))
        return self.components

    async def bootstrap(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        self.calls.append(("bootstrap", spec.infrastructure_id))
        return self.components

    async def deprovision(
        self, spec: InfrastructureSpec, apps: Sequence[AppProfile]
    ) -> list[Component]:
        self.calls.append(("deprovision", spec.infrastructure_id))
        return [c.model_copy(update={"state": ComponentState.DELETED}) for c in self.components]

    async def poll(self, spec: InfrastructureSpec, known: Sequence[Component]) -> list[Component]:
        self.calls.append(("poll", spec.infrastructure_id))
        return self.components

    def cluster(
        self, spec: InfrastructureSpec, components: Sequence[Component]
    ) -> ClusterCoordinates | None:
        return self._cluster


class KeptEvents(EventPublisher):
    """Keeps each event instead of sending it to Kafka."""

    def __init__(self) -> None:
        self.events: list[ProvisionEvent] = []

    async def publish(self, event: ProvisionEvent) -> None:
        self.events.append(event)


class Provisioner:
    """The command handler and poller over stand-in drivers, as main.py wires them."""

    def __init__(self, *, dedicated: bool = True) -> None:
        self.shared = RecordingDriver("shared")
        self.dedicated = RecordingDriver("docker", CLUSTER) if dedicated else None
        self.driver = PlacedDriver(
            self.shared, self.dedicated, kafka=KafkaSettings(), search=SearchSettings()
        )
        self.published = KeptEvents()
        self.journal = Journal()
        self.reporter = Reporter(self.published, self.journal, clock=lambda: NOW)
        self.apps = GroupApps(KafkaSettings(topic_prefix=f"t{uuid.uuid4().hex[:6]}."))
        self.handler = CommandHandler(
            driver=self.driver,
            reporter=self.reporter,
            journal=self.journal,
            apps=self.apps,
            retry=RetryPolicy(attempts=1),
        )

    async def command(
        self, kind: ProvisionCommandKind, placement: Placement
    ) -> list[ProvisionEvent]:
        command = ProvisionCommand(
            command_id=uuid.uuid4(),
            kind=kind,
            infrastructure_id="infra-1",
            group_id="g1",
            capacity="small",
            template=SMALL,
            placement=placement,
            issued_at=NOW,
        )
        await self.handler.handle(command)
        return [e for e in self.published.events if e.command_id == command.command_id]


def _walk(events: list[ProvisionEvent]) -> list[tuple[S, ClusterCoordinates | None]]:
    return [(e.state, e.cluster) for e in events]


async def test_a_dedicated_group_is_made_by_the_dedicated_driver_and_a_shared_one_by_shared() -> (
    None
):
    p = Provisioner()
    await p.command(ProvisionCommandKind.CREATE, Placement.DEDICATED)
    assert p.dedicated is not None
    assert p.dedicated.calls == [("provision", "infra-1"), ("bootstrap", "infra-1")]
    assert p.shared.calls == []

    other = Provisioner()
    await other.command(ProvisionCommandKind.CREATE, Placement.SHARED)
    assert other.shared.calls == [("provision", "infra-1"), ("bootstrap", "infra-1")]
    assert other.dedicated is not None and other.dedicated.calls == []


async def test_a_dedicated_groups_events_carry_its_cluster_from_active_until_deleted() -> None:
    p = Provisioner()
    created = await p.command(ProvisionCommandKind.CREATE, Placement.DEDICATED)
    assert _walk(created) == [
        (S.PENDING, None),
        (S.PROVISIONING, None),
        (S.BOOTSTRAPPING, None),
        (S.ACTIVE, CLUSTER),
    ]
    updated = await p.command(ProvisionCommandKind.UPDATE, Placement.DEDICATED)
    assert _walk(updated) == [
        (S.PROVISIONING, CLUSTER),
        (S.BOOTSTRAPPING, CLUSTER),
        (S.ACTIVE, CLUSTER),
    ]
    deleted = await p.command(ProvisionCommandKind.DELETE, Placement.DEDICATED)
    # The cluster is gone once DELETED.
    assert _walk(deleted) == [(S.DELETING, CLUSTER), (S.DELETED, None)]


async def test_a_shared_groups_events_carry_no_cluster() -> None:
    p = Provisioner()
    events = await p.command(ProvisionCommandKind.CREATE, Placement.SHARED)
    assert [e.cluster for e in events] == [None] * 4
    assert all(NO_DEDICATED_DRIVER not in (e.message or "") for e in events)


async def test_without_a_dedicated_driver_a_dedicated_group_is_shared_and_every_event_says_so() -> (
    None
):
    p = Provisioner(dedicated=False)
    events = await p.command(ProvisionCommandKind.CREATE, Placement.DEDICATED)
    assert [e.state for e in events] == [S.PENDING, S.PROVISIONING, S.BOOTSTRAPPING, S.ACTIVE]
    assert p.shared.calls == [("provision", "infra-1"), ("bootstrap", "infra-1")]
    assert {e.cluster for e in events} == {None}
    for event in events:
        assert event.message is not None and event.message.endswith(
            "; placement dedicated, but this installation has no dedicated driver "
            "(BARITO_DRIVER=shared): the group lives on the shared cluster"
        )
    assert events[-1].message is not None
    assert events[-1].message.startswith("create done with capacity small")


async def test_an_update_to_dedicated_of_a_shared_group_makes_its_cluster() -> None:
    p = Provisioner()
    await p.command(ProvisionCommandKind.CREATE, Placement.SHARED)
    events = await p.command(ProvisionCommandKind.UPDATE, Placement.DEDICATED)
    assert p.dedicated is not None
    assert p.dedicated.calls == [("provision", "infra-1"), ("bootstrap", "infra-1")]
    assert _walk(events) == [(S.PROVISIONING, None), (S.BOOTSTRAPPING, None), (S.ACTIVE, CLUSTER)]


async def test_deleting_a_dedicated_group_removes_its_cluster_and_its_shared_leftovers() -> None:
    p = Provisioner()
    await p.command(ProvisionCommandKind.CREATE, Placement.SHARED)
    await p.command(ProvisionCommandKind.UPDATE, Placement.DEDICATED)
    p.shared.calls.clear()
    # Even a command that forgot the placement: the group has a cluster, it stays dedicated.
    events = await p.command(ProvisionCommandKind.DELETE, Placement.SHARED)
    assert p.dedicated is not None and ("deprovision", "infra-1") in p.dedicated.calls
    assert p.shared.calls == [("deprovision", "infra-1")]
    # What is reported is the dedicated cluster's components.
    assert [c.address for c in events[-1].components] == ["docker:9092"]


async def test_deleting_a_shared_group_leaves_the_dedicated_driver_alone() -> None:
    p = Provisioner()
    await p.command(ProvisionCommandKind.CREATE, Placement.SHARED)
    await p.command(ProvisionCommandKind.DELETE, Placement.SHARED)
    assert p.dedicated is not None and p.dedicated.calls == []
    assert p.shared.calls[-1] == ("deprovision", "infra-1")


async def test_the_journal_folds_the_latest_cluster_so_a_restart_still_knows_it() -> None:
    p = Provisioner()
    await p.command(ProvisionCommandKind.CREATE, Placement.DEDICATED)
    replayed = Journal()
    for event in p.published.events:
        replayed.apply_event(event)
    record = replayed.get("infra-1")
    assert record is not None and record.cluster == CLUSTER

    await p.command(ProvisionCommandKind.DELETE, Placement.DEDICATED)
    for event in p.published.events[-2:]:
        replayed.apply_event(event)
    assert record.cluster is None


def test_a_command_for_an_infrastructure_with_a_cluster_stays_dedicated() -> None:
    command = ProvisionCommand(
        command_id=uuid.uuid4(),
        kind=ProvisionCommandKind.UPDATE,
        infrastructure_id="infra-1",
        group_id="g1",
        capacity="small",
        template=SMALL,
        issued_at=NOW,
    )
    assert spec_of(command).placement is Placement.SHARED
    assert spec_of(command, cluster=CLUSTER).placement is Placement.DEDICATED


async def test_poll_reports_of_a_dedicated_group_carry_the_cluster_the_journal_holds() -> None:
    p = Provisioner()
    await p.command(ProvisionCommandKind.CREATE, Placement.DEDICATED)
    assert p.dedicated is not None
    p.dedicated.components = [
        p.dedicated.components[0].model_copy(
            update={"state": ComponentState.ERROR, "message": "gone"}
        )
    ]
    before = len(p.published.events)
    poller = Poller(
        driver=p.driver,
        reporter=p.reporter,
        journal=p.journal,
        apps=p.apps,
        interval_s=60,
    )
    await poller.poll_once()
    (report,) = p.published.events[before:]
    assert (report.state, report.cluster) == (S.ACTIVE, CLUSTER)
    assert report.message == "kafka-0: active → error"
    assert p.dedicated.calls[-1] == ("poll", "infra-1")


def test_the_router_is_named_for_both_drivers() -> None:
    assert Provisioner().driver.name == "shared+docker"
    assert Provisioner(dedicated=False).driver.name == "shared"


async def test_new_apps_of_a_group_whose_cluster_was_never_reported_go_to_the_shared_one() -> None:
    p = Provisioner()
    spec = spec_of(
        ProvisionCommand(
            command_id=uuid.uuid4(),
            kind=ProvisionCommandKind.CREATE,
            infrastructure_id="infra-1",
            group_id="g1",
            capacity="small",
            template=SMALL,
            placement=Placement.DEDICATED,
            issued_at=NOW,
        )
    )
    app = AppProfile(
        app_id="a1",
        slug="shop",
        name="shop",
        group_id="g1",
        group_slug="g1",
        status=AppStatus.ACTIVE,
        tps=100,
        topic="barito.logs.shop",
        index_prefix="barito-shop",
        retention_days=7,
        capacity="small",
        updated_at=NOW,
    )
    # Made before events carried coordinates: its apps' profiles name no cluster.
    await p.driver.bootstrap_apps(spec, [app], None, [])
    assert p.shared.calls == [("bootstrap", "infra-1")]
    assert p.dedicated is not None and p.dedicated.calls == []
