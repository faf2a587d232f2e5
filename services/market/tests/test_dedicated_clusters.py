"""Placement and cluster coordinates on the embedded SQLite default (no Kafka needed).

The market decides each command's placement and learns a dedicated group's
cluster from the provisioner's events; here both run against a fresh SQLite
file migrated to head, with the Kafka writes recorded instead of sent. The
same paths on Postgres and real Kafka: test_dedicated_clusters_on_kafka.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.capacity import DEFAULT_TEMPLATES_DIR, load_templates
from barito_common.kafka import Topics
from barito_common.schemas import (
    AppProfile,
    ClusterCoordinates,
    InfrastructureState,
    Placement,
    ProvisionCommand,
    ProvisionCommandKind,
    ProvisionEvent,
)
from barito_common.search import SearchAdapter
from barito_common.settings import SearchSettings
from barito_market.apps.endpoints import app_endpoints
from barito_market.consumers.provisioning_events import apply_provision_event
from barito_market.infrastructure.provisioning import sync_group_capacity
from barito_market.models import App, AppGroup, Infrastructure, ProvisioningEvent
from barito_market.registry.sync import republish_all
from barito_market.search.engines import SearchEngines
from barito_market.settings import MarketSettings
from barito_testing.market_rows import seed_app

TEMPLATES = load_templates(DEFAULT_TEMPLATES_DIR)
START = datetime(2025, 1, 31, 10, 0, tzinfo=UTC)
CLUSTER = ClusterCoordinates(
    infrastructure_id="infra-1",
    kafka_bootstrap_servers="10.0.0.5:9092",
    search_url="http://10.0.0.6:9200",
    search_engine="opensearch",
    kibana_url="http://10.0.0.7:5601",
)


class RecordedCommands:
    """Stands in for the Publisher where only commands are written."""

    def __init__(self) -> None:
        self.commands: list[ProvisionCommand] = []

    async def publish_command(self, command: ProvisionCommand) -> None:
        self.commands.append(command)


class RecordedProfiles:
    """Stands in for the Publisher where only profiles are written."""

    topics = Topics("barito.")

    def __init__(self) -> None:
        self.profiles: dict[str, AppProfile] = {}

    async def publish_profile(self, profile: AppProfile) -> None:
        self.profiles[profile.slug] = profile


class RecordedRepublish:
    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[tuple[uuid.UUID, ClusterCoordinates]] = []
        self.fail = fail

    async def __call__(
        self, session: AsyncSession, group_id: uuid.UUID, cluster: ClusterCoordinates
    ) -> int:
        if self.fail:
            raise RuntimeError("Kafka did not answer")
        self.calls.append((group_id, cluster))
        return 1


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    *,
    capacity: str = "small",
    placement: Placement | None = None,
) -> tuple[AppGroup, App, Infrastructure | None]:
    """A group with one app, and an infrastructure only when ``placement`` is given."""
    return await seed_app(
        sessions, capacity=capacity, infrastructure=placement is not None, placement=placement
    )


async def resize(
    sessions: async_sessionmaker[AsyncSession],
    publisher: RecordedCommands,
    app: App,
    capacity: str,
) -> Infrastructure | None:
    async with sessions() as session, session.begin():
        row = await session.get(App, app.id)
        assert row is not None
        row.capacity = capacity
        group = await session.get(AppGroup, app.group_id)
        assert group is not None
        return await sync_group_capacity(
            session,
            publisher,  # type: ignore[arg-type]
            TEMPLATES,
            group,
            actor=None,
        )


async def test_commands_carry_the_templates_placement_and_a_dedicated_group_stays_dedicated(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    publisher = RecordedCommands()
    _, app, _ = await seed(sessions)

    await resize(sessions, publisher, app, "small")
    await resize(sessions, publisher, app, "medium")
    await resize(sessions, publisher, app, "large")
    infrastructure = await resize(sessions, publisher, app, "small")

    assert [(c.kind, c.capacity, c.placement) for c in publisher.commands] == [
        (ProvisionCommandKind.CREATE, "small", Placement.SHARED),
        (ProvisionCommandKind.UPDATE, "medium", Placement.DEDICATED),
        (ProvisionCommandKind.UPDATE, "large", Placement.DEDICATED),
        # Its logs live on its own cluster now: shrinking only resizes it.
        (ProvisionCommandKind.UPDATE, "small", Placement.DEDICATED),
    ]
    assert infrastructure is not None
    assert infrastructure.placement == Placement.DEDICATED


def event(
    infrastructure: Infrastructure,
    state: InfrastructureState,
    seconds: int,
    cluster: ClusterCoordinates | None,
) -> ProvisionEvent:
    return ProvisionEvent(
        command_id=uuid.UUID(int=1),
        infrastructure_id=str(infrastructure.id),
        state=state,
        at=START + timedelta(seconds=seconds),
        cluster=cluster,
    )


async def stored(sessions: async_sessionmaker[AsyncSession], infra: Infrastructure) -> Any:
    async with sessions() as session:
        row = await session.get(Infrastructure, infra.id)
        assert row is not None
        return row.state, row.cluster


async def test_a_cluster_is_stored_and_republished_once_and_never_moved_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    group, _, infrastructure = await seed(sessions, placement=Placement.DEDICATED)
    assert infrastructure is not None
    republish = RecordedRepublish()
    moved = CLUSTER.model_copy(update={"kibana_url": "http://10.0.0.8:5601"})

    async def apply(one: ProvisionEvent) -> str:
        outcome = await apply_provision_event(sessions, one, republish=republish)
        return "applied" if outcome.applied else outcome.reason

    provisioning = event(infrastructure, InfrastructureState.PROVISIONING, 0, None)
    active = event(infrastructure, InfrastructureState.ACTIVE, 10, CLUSTER)
    outcomes = [
        await apply(provisioning),
        await apply(active),
        await apply(event(infrastructure, InfrastructureState.ACTIVE, 20, CLUSTER)),  # a poll
        await apply(provisioning),  # a replay: duplicate
        await apply(event(infrastructure, InfrastructureState.BOOTSTRAPPING, 5, None)),  # stale
        await apply(event(infrastructure, InfrastructureState.PROVISIONING, 30, None)),
    ]
    after_all = await stored(sessions, infrastructure)
    await apply(event(infrastructure, InfrastructureState.ACTIVE, 40, moved))

    assert outcomes == ["applied", "applied", "applied", "duplicate", "stale", "applied"]
    # An event without coordinates (an update under way) keeps the known ones.
    assert after_all == (InfrastructureState.PROVISIONING, CLUSTER.model_dump(mode="json"))
    assert republish.calls == [(group.id, CLUSTER), (group.id, moved)]


async def test_a_failed_republish_rolls_the_event_back_so_its_retry_does_both(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    group, _, infrastructure = await seed(sessions, placement=Placement.DEDICATED)
    assert infrastructure is not None
    active = event(infrastructure, InfrastructureState.ACTIVE, 10, CLUSTER)

    with pytest.raises(RuntimeError):
        await apply_provision_event(sessions, active, republish=RecordedRepublish(fail=True))
    before_retry = await stored(sessions, infrastructure)
    async with sessions() as session:
        lines = list(await session.scalars(select(ProvisioningEvent.id)))
    working = RecordedRepublish()
    retried = await apply_provision_event(sessions, active, republish=working)

    assert before_retry == (InfrastructureState.PENDING, None)
    assert lines == []
    assert retried.applied
    assert working.calls == [(group.id, CLUSTER)]
    assert await stored(sessions, infrastructure) == (
        InfrastructureState.ACTIVE,
        CLUSTER.model_dump(mode="json"),
    )


async def test_a_shared_groups_profiles_name_no_cluster_whatever_an_event_says(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    _, _, infrastructure = await seed(sessions, placement=Placement.SHARED)
    assert infrastructure is not None
    republish = RecordedRepublish()

    await apply_provision_event(
        sessions,
        event(infrastructure, InfrastructureState.ACTIVE, 10, CLUSTER),
        republish=republish,
    )

    assert republish.calls == []


async def test_search_adapters_are_made_once_per_cluster_engine_and_closed() -> None:
    engines = SearchEngines(SearchSettings(url="http://127.0.0.1:19200"))
    other = CLUSTER.model_copy(update={"search_url": "http://10.0.0.9:9200"})

    shared = engines.for_cluster(None)
    first = engines.for_cluster(CLUSTER)
    again = engines.for_cluster(CLUSTER.model_copy(update={"kibana_url": None}))
    second = engines.for_cluster(other)
    await engines.close()

    assert shared == [engines.installation]
    assert first[1] is engines.installation
    assert first[0] is again[0]
    assert second[0] is not first[0]
    adapter: SearchAdapter = first[0]
    assert adapter.engine == "opensearch"


def test_the_viewer_link_is_the_clusters_kibana_and_never_the_installations() -> None:
    settings = MarketSettings(viewer_url_template="https://{app}.{group}.logs.example.test")

    def viewer(cluster: ClusterCoordinates | None) -> str | None:
        return app_endpoints(settings, app_slug="a", group_slug="g", cluster=cluster).viewer

    assert viewer(None) == "https://a.g.logs.example.test"
    assert viewer(CLUSTER) == "http://10.0.0.7:5601"
    # The installation's Kibana holds none of a dedicated app's new logs: no link.
    assert viewer(CLUSTER.model_copy(update={"kibana_url": None})) is None


async def test_republishing_everything_keeps_each_groups_cluster(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    _, moved, moved_infra = await seed(sessions, capacity="medium", placement=Placement.DEDICATED)
    _, waiting, _ = await seed(sessions, capacity="medium", placement=Placement.DEDICATED)
    _, shared, shared_infra = await seed(sessions, placement=Placement.SHARED)
    async with sessions() as session, session.begin():
        for infra in (moved_infra, shared_infra):
            assert infra is not None
            row = await session.get(Infrastructure, infra.id)
            assert row is not None
            row.cluster = CLUSTER.model_dump(mode="json")
    publisher = RecordedProfiles()

    async with sessions() as session:
        count = await republish_all(session, publisher, MarketSettings())  # type: ignore[arg-type]

    assert count == 3
    assert publisher.profiles[moved.slug].cluster == CLUSTER
    # Not ACTIVE yet: its logs still go to the installation's cluster.
    assert publisher.profiles[waiting.slug].cluster is None
    assert publisher.profiles[shared.slug].cluster is None
