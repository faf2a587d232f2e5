"""The app registry: every app's profile, read from the compacted apps topic.

The market is the only writer of app state; receiver, flow and server keep
this in-memory copy so that the hot path never calls the market and keeps
working while it is down (architecture §4). The registry reads the topic from
the beginning, reports itself loaded once it reached the end offsets it saw
at start-up, and then follows new records, so a new or rotated secret works,
and a deactivated app is refused, within moments of the market publishing it.

Example::

    registry = AppRegistry(settings.kafka)
    await registry.start()
    profile = registry.by_secret(request_secret)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from barito_common.kafka import Topics, TopicSpec, create_consumer, ensure_topics
from barito_common.reserved_names import reserved_app_slug
from barito_common.schemas import (
    AppProfile,
    AppStatus,
    PayloadError,
    from_bytes,
    hash_secret,
    to_bytes,
)
from barito_common.settings import KafkaSettings

__all__ = [
    "AmbiguousAppName",
    "AppRegistry",
    "RegistryNotLoaded",
    "apps_topic_spec",
    "publish_profile",
]

log = logging.getLogger(__name__)


class RegistryNotLoaded(RuntimeError):
    """The registry has not yet read the apps topic up to its end."""


class AmbiguousAppName(LookupError):
    """Two or more active apps of one group have the display name a request gave."""

    def __init__(self, name: str, slugs: list[str]) -> None:
        super().__init__(
            f"More than one active app of the group is named '{name}': "
            f"{', '.join(slugs)}. Send the app's slug in X-App-Name instead."
        )
        self.name = name
        self.slugs = slugs


def _slug_first(profiles: list[AppProfile], app_name: str) -> list[AppProfile]:
    """The app whose slug is ``app_name`` (slugs are unique), else all of ``profiles``."""
    return [p for p in profiles if p.slug == app_name] or profiles


def _secret_hashes(profile: AppProfile) -> set[str]:
    """The hashes of every secret the app accepts: current and retiring."""
    return {*profile.secret_hashes, *(old.hash for old in profile.retiring_secrets)}


def _group_secret_hashes(profile: AppProfile) -> set[str]:
    """The hashes of every group secret the app accepts: current and retiring."""
    return {*profile.group_secret_hashes, *(old.hash for old in profile.retiring_group_secrets)}


def apps_topic_spec(topics: Topics) -> TopicSpec:
    # Compaction keeps the latest profile of every app forever, so a reader
    # starting from the beginning always sees the whole current registry.
    return TopicSpec(topics.apps, partitions=1, config=(("cleanup.policy", "compact"),))


async def publish_profile(producer: AIOKafkaProducer, topics: Topics, profile: AppProfile) -> None:
    """Write one app's profile (the market's job; tests use it as the contract)."""
    await producer.send_and_wait(topics.apps, to_bytes(profile), key=profile.app_id.encode())


class AppRegistry:
    def __init__(
        self,
        settings: KafkaSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry_delay_s: float = 1.0,
    ) -> None:
        self._settings = settings
        self._topics = Topics(settings.topic_prefix)
        self._clock = clock
        self._retry_delay_s = retry_delay_s
        self._apps: dict[str, AppProfile] = {}
        self._by_hash: dict[str, set[str]] = {}
        self._by_group_hash: dict[str, set[str]] = {}
        self._by_slug: dict[str, str] = {}
        self._reported_reserved: set[str] = set()
        self._loaded = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- lookups (the hot path: dict lookups only) ---------------------------

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    async def wait_loaded(self, timeout_s: float) -> None:
        async with asyncio.timeout(timeout_s):
            await self._loaded.wait()

    def by_secret(self, secret: str) -> AppProfile | None:
        secret_hash = hash_secret(secret)
        now = self._clock()
        for app_id in self._by_hash.get(secret_hash, ()):
            profile = self._apps[app_id]
            if profile.accepts_secret_hash(secret_hash, now=now):
                return profile
        return None

    def by_group_secret(self, group_secret: str, app_name: str) -> AppProfile | None:
        """The group's app named ``app_name``: by its slug first, else by its display name.

        Active apps come first: a deleted app keeps its profile (and its name is
        free again), so after a delete and a new registration under the same
        name, both carry the group's secret and the name must reach the new one.
        Only when no active app matches is an inactive or deleted one returned,
        so that the caller can say why it is refused.

        Raises AmbiguousAppName when two active apps of the group have that
        display name, rather than picking one of them by chance.
        """
        secret_hash = hash_secret(group_secret)
        now = self._clock()
        named = [
            profile
            for app_id in self._by_group_hash.get(secret_hash, ())
            if app_name in ((profile := self._apps[app_id]).slug, profile.name)
            and profile.accepts_group_secret_hash(secret_hash, now=now)
        ]
        active = _slug_first([p for p in named if p.status is AppStatus.ACTIVE], app_name)
        if len(active) > 1:
            raise AmbiguousAppName(app_name, sorted(p.slug for p in active))
        if active:
            return active[0]
        if named:  # only refusals are left: the one changed last says why
            return max(_slug_first(named, app_name), key=lambda p: p.updated_at)
        return None

    def by_slug(self, slug: str) -> AppProfile | None:
        app_id = self._by_slug.get(slug)
        return None if app_id is None else self._apps[app_id]

    def apps(self) -> list[AppProfile]:
        return list(self._apps.values())

    async def check(self) -> None:
        """For /readyz: refuse until the whole registry has been read."""
        if not self.loaded:
            raise RegistryNotLoaded(f"still reading {self._topics.apps} from the beginning")

    # --- applying records -----------------------------------------------------

    def apply(self, app_id: str, value: bytes | None) -> None:
        self._forget(app_id)
        if value is None:  # a tombstone: the app was deleted for good
            return
        try:
            profile = from_bytes(AppProfile, value)
        except PayloadError as err:
            log.warning(
                "Skipped an unreadable app profile.",
                extra={"ctx": {"app_id": app_id, "error": str(err)}},
            )
            return
        self._apps[app_id] = profile
        self._by_slug[profile.slug] = app_id
        self._report_reserved(profile)
        for secret_hash in _secret_hashes(profile):
            self._by_hash.setdefault(secret_hash, set()).add(app_id)
        for secret_hash in _group_secret_hashes(profile):
            self._by_group_hash.setdefault(secret_hash, set()).add(app_id)

    def _report_reserved(self, profile: AppProfile) -> None:
        # A registry written before the market refused these names may hold
        # one; say so once per app, where an operator reads every service's logs.
        reserved = reserved_app_slug(profile.slug)
        if (
            reserved is None
            or profile.status is AppStatus.DELETED
            or profile.app_id in self._reported_reserved
        ):
            return
        self._reported_reserved.add(profile.app_id)
        log.error(
            "An app's slug is reserved for the installation; the team should register it "
            "again under another name.",
            extra={
                "ctx": {
                    "app_id": profile.app_id,
                    "app": profile.slug,
                    "group": profile.group_slug,
                    "collides_with": reserved.collides_with,
                    "consequence": reserved.breaks,
                    "ingest_refused": reserved.loses_logs,
                }
            },
        )

    def _forget(self, app_id: str) -> None:
        forgotten = self._apps.pop(app_id, None)
        if forgotten is None:
            return
        if self._by_slug.get(forgotten.slug) == app_id:
            del self._by_slug[forgotten.slug]
        # Only the hashes the forgotten profile was indexed under: scanning the
        # whole index instead made every update cost O(apps), and reading a
        # registry whose topic is not yet compacted O(apps²).
        for index, hashes in (
            (self._by_hash, _secret_hashes(forgotten)),
            (self._by_group_hash, _group_secret_hashes(forgotten)),
        ):
            for secret_hash in hashes:
                ids = index.get(secret_hash)
                if ids is None:
                    continue
                ids.discard(app_id)
                if not ids:
                    del index[secret_hash]

    # --- following the topic ----------------------------------------------------

    async def start(self) -> None:
        """Start following the apps topic in the background; never fails for a down Kafka."""
        self._task = asyncio.create_task(self._run(), name="app-registry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.warning(
                    "App registry lost Kafka; retrying.",
                    extra={"ctx": {"error": repr(err)}},
                )
                await asyncio.sleep(self._retry_delay_s)

    async def _follow(self) -> None:
        await ensure_topics(self._settings, [apps_topic_spec(self._topics)])
        consumer = create_consumer(
            self._settings, group_id=None, isolation_level="read_uncommitted"
        )
        await consumer.start()
        try:
            partitions = [
                TopicPartition(self._topics.apps, p)
                for p in sorted(consumer.partitions_for_topic(self._topics.apps) or {0})
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end = await consumer.end_offsets(partitions)
            await self._catch_up(consumer, end)
            self._loaded.set()
            log.info("App registry loaded.", extra={"ctx": {"apps": len(self._apps)}})
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    for record in records:
                        self._apply_record(record.key, record.value)
        finally:
            await consumer.stop()

    async def _catch_up(self, consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> None:
        while True:
            positions = {tp: await consumer.position(tp) for tp in end}
            if all(positions[tp] >= offset for tp, offset in end.items()):
                return
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    self._apply_record(record.key, record.value)

    def _apply_record(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            log.warning("Skipped an app profile without a key.")
            return
        self.apply(key.decode("utf-8", "replace"), value)
