"""The app registry: lookups by secret, rotation grace, deletion, and following Kafka."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from barito_common.app_registry import AmbiguousAppName, AppRegistry, publish_profile
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


def _group_app(slug: str, name: str, status: AppStatus = AppStatus.ACTIVE) -> AppProfile:
    return _profile(
        slug,
        secret=f"secret-{slug}",
        name=name,
        status=status,
        group_secret_hashes=[hash_secret("group")],
    )


def test_group_secret_reaches_the_app_registered_again_under_a_deleted_apps_name() -> None:
    # A deleted app keeps its profile and its group's secret; the new app of
    # the same name has a new slug. Which of the two a set yields first is
    # chance, so twenty names make a lucky pass of the old lookup unlikely.
    registry = _registry([NOW])
    for n in range(20):
        for slug, status in ((f"api-{n}", AppStatus.DELETED), (f"api-{n}-b7c1", AppStatus.ACTIVE)):
            registry.apply(f"id-{slug}", to_bytes(_group_app(slug, f"API {n}", status)))
    for n in range(20):
        assert registry.by_group_secret("group", f"API {n}").slug == f"api-{n}-b7c1"


def test_group_secret_tries_the_slug_before_the_display_name() -> None:
    registry = _registry([NOW])
    registry.apply("id-shop", to_bytes(_group_app("shop", "Storefront")))
    registry.apply("id-shop-9f3a", to_bytes(_group_app("shop-9f3a", "shop")))
    assert registry.by_group_secret("group", "shop").slug == "shop"
    assert registry.by_group_secret("group", "Storefront").slug == "shop"


def test_a_name_only_inactive_or_deleted_apps_have_finds_one_so_it_can_be_refused() -> None:
    registry = _registry([NOW])
    registry.apply("id-old", to_bytes(_group_app("old", "Old", AppStatus.DELETED)))
    registry.apply("id-paused", to_bytes(_group_app("paused", "Paused", AppStatus.INACTIVE)))
    assert registry.by_group_secret("group", "Old").status is AppStatus.DELETED
    assert registry.by_group_secret("group", "paused").status is AppStatus.INACTIVE


def test_two_active_apps_of_one_display_name_are_ambiguous_naming_their_slugs() -> None:
    registry = _registry([NOW])
    for slug in ("shop-b", "shop-a"):
        registry.apply(f"id-{slug}", to_bytes(_group_app(slug, "Shop")))
    registry.apply("id-shop-c", to_bytes(_group_app("shop-c", "Shop", AppStatus.DELETED)))
    with pytest.raises(AmbiguousAppName) as ambiguous:
        registry.by_group_secret("group", "Shop")
    assert ambiguous.value.slugs == ["shop-a", "shop-b"]
    assert "shop-a, shop-b" in str(ambiguous.value)
    assert registry.by_group_secret("group", "shop-a").slug == "shop-a"


def test_a_reserved_slug_is_logged_once_as_an_error_naming_what_it_collides_with(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = _registry([NOW])
    with caplog.at_level(logging.ERROR, logger="barito_common.app_registry"):
        registry.apply("id-dlq", to_bytes(_profile("dlq")))
        registry.apply("id-dlq", to_bytes(_profile("dlq", secret="rotated")))
        registry.apply("id-checkout", to_bytes(_profile("checkout")))
        registry.apply("id-new", to_bytes(_profile("new", status=AppStatus.DELETED)))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    context = errors[0].ctx  # type: ignore[attr-defined]
    assert (context["app"], context["app_id"]) == ("dlq", "id-dlq")
    assert "dead-letter topic" in context["collides_with"]
    assert registry.by_slug("dlq") is not None  # still known, so it can be refused by name


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


def test_a_thousand_apps_each_updated_twice_keep_exactly_their_own_secrets() -> None:
    # An update forgets only what the app's previous profile held: apps that
    # share a group secret keep it, and a secret rotated out finds nothing.
    registry = _registry([NOW])
    group = {"group_secret_hashes": [hash_secret("group")]}
    for n in range(1000):
        registry.apply(f"id-{n}", to_bytes(_profile(f"app-{n}", secret=f"a{n}", **group)))
    for n in range(1000):
        retiring = RetiringSecret(hash=hash_secret(f"a{n}"), valid_until=NOW + timedelta(hours=1))
        update = {"retiring_secrets": [retiring], **group}
        registry.apply(f"id-{n}", to_bytes(_profile(f"app-{n}", secret=f"b{n}", **update)))
    for n in range(1000):
        registry.apply(f"id-{n}", to_bytes(_profile(f"app-{n}", secret=f"c{n}", **group)))
    assert len(registry.apps()) == 1000
    for n in (0, 499, 999):
        assert registry.by_secret(f"c{n}").slug == f"app-{n}"
        assert registry.by_secret(f"a{n}") is None
        assert registry.by_secret(f"b{n}") is None
        assert registry.by_group_secret("group", f"app-{n}").slug == f"app-{n}"
    registry.apply("id-7", None)
    assert registry.by_group_secret("group", "app-7") is None
    assert registry.by_group_secret("group", "app-8").slug == "app-8"
