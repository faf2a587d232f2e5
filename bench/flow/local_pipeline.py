"""The pipeline's own services as processes, on apps registered the way the market does.

Shared by ``bench/flow/latency.py`` and ``bench/pipeline/run.py``: an app is an
``AppProfile`` on the registry topic plus its log topic (the whole contract
between the market and the data path); the receiver and the flow run as real
processes (``python -m barito_<service>.main``) configured by environment.
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import IO

import httpx

from barito_common.app_registry import apps_topic_spec, publish_profile
from barito_common.kafka import Topics, create_producer, ensure_topics, log_topic_spec
from barito_common.schemas import AppProfile, AppStatus, hash_secret
from barito_common.settings import KafkaSettings

__all__ = ["URLS", "app_profile", "publish", "register", "start", "wait_ready"]

URLS = {"elasticsearch": "http://127.0.0.1:19200", "opensearch": "http://127.0.0.1:19201"}


def app_profile(kafka: KafkaSettings, index_prefix: str, slug: str, secret: str) -> AppProfile:
    """An active app with a rate limit no bench reaches."""
    topics = Topics(kafka.topic_prefix)
    return AppProfile(
        app_id=str(uuid.uuid4()), slug=slug, name=slug, group_id=f"bench-{slug}",
        group_slug=f"bench-{slug}", status=AppStatus.ACTIVE, secret_hashes=[hash_secret(secret)],
        tps=1_000_000, topic=topics.logs(slug), index_prefix=f"{index_prefix}{slug}",
        retention_days=1, capacity="small", updated_at=datetime.now(UTC),
    )  # fmt: skip


async def register(
    kafka: KafkaSettings, index_prefix: str, slugs: list[str], partitions: int = 2
) -> list[tuple[AppProfile, str]]:
    """Register one app per slug (log topics of ``partitions``); each profile with its secret."""
    topics = Topics(kafka.topic_prefix)
    apps = []
    for slug in slugs:
        secret = secrets.token_urlsafe(24)
        apps.append((app_profile(kafka, index_prefix, slug, secret), secret))
    specs = [log_topic_spec(topics, slug, partitions=partitions, replication=1) for slug in slugs]
    await ensure_topics(kafka, [apps_topic_spec(topics), *specs])
    await publish(kafka, *(profile for profile, _ in apps))
    return apps


async def publish(kafka: KafkaSettings, *profiles: AppProfile) -> None:
    topics = Topics(kafka.topic_prefix)
    producer = create_producer(kafka)
    await producer.start()
    for profile in profiles:
        await publish_profile(producer, topics, profile)
    await producer.stop()


def start(
    module: str, port: int, env: dict[str, str], log: IO[bytes] | None = None
) -> subprocess.Popen[bytes]:
    """``python -m module`` listening on ``port``; its output to ``log``, else discarded."""
    return subprocess.Popen(
        [sys.executable, "-m", module], env={**env, "BARITO_PORT": str(port)},
        stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL,
    )  # fmt: skip


async def wait_ready(client: httpx.AsyncClient, url: str) -> None:
    async with asyncio.timeout(60):
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
