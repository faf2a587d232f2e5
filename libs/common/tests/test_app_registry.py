"""The app registry: lookups by secret, rotation grace, deletion, and following Kafka."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from barito_common.app_registry import AppRegistry, publish_profile
from barito_common.kafka import Topics, create_producer
from barito_common.schemas import AppProfile, AppStatus, RetiringSecret, hash_secret, to_bytes
from barito_common.settings import KafkaSettings

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _profile(slug: str = "checkout", secret: str = "s3cret", **changes: object) -> AppProfile:
    return AppProfile(
        app_id=f"id-{slug}",
        slug=slug,
        name=slug.title(),
        group_id="g",
        group_slug="shop",
        status=AppStatus.ACTIVE,
        secret_hashes=[hash_secret(secret)],
        tps=100,
        topic=f"barito.logs.{slug}",
        index_prefix=f"barito-{slug}",
        retention_days=7,
        capacity="small",
        updated_at=NOW,
    ).model_copy(update=changes)


def _registry(now: list[datetime]) -> AppRegistry:
    return AppRegistry(KafkaSettings(), clock=lambda: now[0])


def test_secret_finds_its_app_and_nothing_else() -> None:
    registry = _registry([NOW])
    registry.apply("id-checkout", to_bytes(_profile()))
    registry.apply("id-search", to_bytes(_profile("search", secret="other")))
    assert registry.by_secret("s3cret").slug == "checkout"
    assert registry.by_secret("other").slug == "search"
    assert registry.by_secret("nope") is None
    assert registry.by_slug("search").name == "Search"


def test_retiring_secret_works_until_its_deadline_then_stops() -> None:
    now = [NOW]
    registry = _registry(now)
    retiring = RetiringSecret(hash=hash_secret("old"), valid_until=NOW + timedelta(hours=1))
    registry.apply("id-checkout", to_bytes(_profile(secret="new", retiring_secrets=[retiring])))
    assert registry.by_secret("old").slug == "checkout"
    assert registry.by_secret("new").slug == "checkout"
    now[0] = NOW + timedelta(hours=1, seconds=1)
    assert registry.by_secret("old") is None
    assert registry.by_secret("new").slug == "checkout"


def test_an_update_replaces_the_old_secret_and_a_tombstone_forgets_the_app() -> None:
    registry = _registry([NOW])
    registry.apply("id-checkout", to_bytes(_profile(secret="first")))
    registry.apply("id-checkout", to_bytes(_profile(secret="second")))
    assert registry.by_secret("first") is None
    assert registry.by_secret("second").slug == "checkout"
    registry.apply("id-checkout", None)
    assert registry.by_secret("second") is None
    assert registry.by_slug("checkout") is None
    assert registry.apps() == []


def test_retiring_group_secret_works_until_its_deadline_then_stops() -> None:
    now = [NOW]
    registry = _registry(now)
    retiring = RetiringSecret(hash=hash_secret("old"), valid_until=NOW + timedelta(hours=1))
    profile = _profile(group_secret_hashes=[hash_secret("new")], retiring_group_secrets=[retiring])
    registry.apply("id-checkout", to_bytes(profile))
    assert registry.by_group_secret("old", "checkout").slug == "checkout"
    now[0] = NOW + timedelta(hours=1, seconds=1)
    assert registry.by_group_secret("old", "checkout") is None
    assert registry.by_group_secret("new", "checkout").slug == "checkout"


def test_group_secret_finds_an_app_of_the_group_by_slug_or_name() -> None:
    registry = _registry([NOW])
    profile = _profile(group_secret_hashes=[hash_secret("group")])
    registry.apply("id-checkout", to_bytes(profile))
    assert registry.by_group_secret("group", "checkout").slug == "checkout"
    assert registry.by_group_secret("group", "Checkout").slug == "checkout"
    assert registry.by_group_secret("group", "other") is None
    assert registry.by_group_secret("wrong", "checkout") is None


def test_an_unreadable_profile_is_skipped_not_fatal() -> None:
    registry = _registry([NOW])
    registry.apply("id-x", b"{not json")
    assert registry.apps() == []


async def test_registry_loads_the_topic_then_follows_new_profiles(stack) -> None:
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"reg{uuid.uuid4().hex[:8]}."
    )
    topics = Topics(kafka.topic_prefix)
    producer = create_producer(kafka)
    first = AppRegistry(kafka)
    await first.start()  # creates the compacted apps topic
    await first.wait_loaded(30)
    await producer.start()
    try:
        await publish_profile(producer, topics, _profile("early", secret="e"))
        registry = AppRegistry(kafka)
        await registry.start()
        await registry.wait_loaded(30)
        assert registry.by_secret("e").slug == "early"  # read from the beginning
        await publish_profile(producer, topics, _profile("late", secret="l"))
        async with asyncio.timeout(15):
            while registry.by_secret("l") is None:
                await asyncio.sleep(0.05)
        await registry.stop()
    finally:
        await first.stop()
        await producer.stop()
