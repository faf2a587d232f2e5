"""`docker stop` on the receiver and the flow images in the middle of a steady ingest.

The images `make images` built run as containers against the local stack,
with a topic prefix, index prefix and consumer group of their own. A client
ingests numbered events without pause, as an agent would: a batch is sent
again (same Idempotency-Key) until the receiver acknowledges it. Meanwhile
the receiver is stopped (SIGTERM: it finishes what it took, then refuses
connections) and started again, then the flow (it finishes or abandons its
batch, committing no offset past what is indexed). At the end every
acknowledged event is in the index exactly once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from barito_common.search import create_search_adapter
from barito_common.settings import KafkaSettings, SearchSettings
from barito_testing.apps import App, Apps
from tests.support.containers import Container, require_images

pytestmark = [pytest.mark.stack, pytest.mark.timeout(420)]

RECEIVER_IMAGE = "barito/receiver:dev"
FLOW_IMAGE = "barito/flow:dev"
# Outside the local stack's 18080-18085 (and the services `barito up` runs).
RECEIVER_PORT = 18091
FLOW_PORT = 18093
BATCH = 25


@dataclass
class Ingest:
    """A client that never gives up on a batch, and what it was answered."""

    url: str
    app: App
    acknowledged: list[int] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            first = 0
            while not self.stop.is_set():
                await self._deliver(client, list(range(first, first + BATCH)))
                first += BATCH
                await asyncio.sleep(0.05)

    async def _deliver(self, client: httpx.AsyncClient, seqs: list[int]) -> None:
        # Each event carries its own time and number; the batch its key, kept
        # across retries, so a batch written but not answered is not doubled.
        now = datetime.now(UTC).isoformat()
        body = b"".join(
            orjson.dumps({"@timestamp": now, "message": f"graceful {s}", "seq": s}) + b"\n"
            for s in seqs
        )
        headers = {
            **self.app.headers,
            "Content-Type": "application/x-ndjson",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        async with asyncio.timeout(120):
            while True:
                try:
                    response = await client.post("/api/v1/logs", content=body, headers=headers)
                except httpx.TransportError as err:
                    self.answers[type(err).__name__] += 1
                    await asyncio.sleep(0.2)
                    continue
                self.answers[str(response.status_code)] += 1
                if response.status_code == 200:
                    assert response.json() == {"accepted": len(seqs)}
                    self.acknowledged += seqs
                    return
                # Until the receiver loads the app's profile it does not know
                # the secret (401); while stopping or without Kafka, 503.
                assert response.status_code in (401, 429, 503), response.text
                await asyncio.sleep(0.2)


def _container(name: str, image: str, port: int, env: dict[str, str]) -> Container:
    return Container(name=name, image=image, port=port, env=env)


async def _indexed_seqs(search: Any, pattern: str, expected: int) -> Counter[int]:
    """The ``seq`` of every indexed document, once the count reaches ``expected``."""
    count = -1
    async with asyncio.timeout(120):
        while count < expected:
            await asyncio.sleep(1)
            try:
                await search.refresh(pattern)
                count = await search.count(pattern)
            except Exception:
                count = -1
    # Settle: anything indexed after the expected total is a duplicate.
    await asyncio.sleep(3)
    await search.refresh(pattern)
    body = await search.search_body(
        pattern, {"size": 10_000, "query": {"match_all": {}}, "_source": True}
    )
    return Counter(_seq(hit["_source"]) for hit in body["hits"]["hits"])


def _seq(source: dict[str, Any]) -> int:
    for candidate in (source, source.get("fields") or {}, source.get("data") or {}):
        if "seq" in candidate:
            return int(candidate["seq"])
    raise AssertionError(f"no seq in an indexed document: {source}")


async def test_docker_stop_of_receiver_and_flow_mid_ingest_loses_and_doubles_nothing(
    stack: Any,
) -> None:
    require_images(RECEIVER_IMAGE, FLOW_IMAGE)
    prefix = f"gs{uuid.uuid4().hex[:8]}"
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"{prefix}.")
    search_settings = SearchSettings(
        engine="elasticsearch",
        url=stack.search_urls["elasticsearch"],
        index_prefix=f"{prefix}-",
    )
    common = {
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
    }
    receiver = _container(f"{prefix}-receiver", RECEIVER_IMAGE, RECEIVER_PORT, common)
    flow = _container(
        f"{prefix}-flow",
        FLOW_IMAGE,
        FLOW_PORT,
        {
            **common,
            "BARITO_SEARCH__ENGINE": "elasticsearch",
            "BARITO_SEARCH__URL": search_settings.url,
            "BARITO_SEARCH__INDEX_PREFIX": search_settings.index_prefix,
            # A group of its own: other tests' flows joining would rebalance it.
            "BARITO_GROUP_ID": f"{prefix}-flow",
            "BARITO_RETRY_CAP_S": "2",
        },
    )
    apps = Apps(kafka)
    search = create_search_adapter(search_settings)
    try:
        receiver.run()
        flow.run()
        await asyncio.gather(receiver.wait_ready(), flow.wait_ready())
        # The images' numeric USER; never root inside the container.
        assert receiver.user() == "10001"
        assert flow.user() == "10001"

        await apps.producer.start()
        app = await apps.register()
        ingest = Ingest(receiver.url, app)
        driving = asyncio.create_task(ingest.run())

        async def steady(seconds: float) -> None:
            await asyncio.sleep(seconds)
            assert not driving.done(), driving.exception()

        await steady(4)
        before = len(ingest.acknowledged)
        started = time.monotonic()
        await asyncio.to_thread(receiver.stop)
        # SIGTERM drained it: it exited by itself, well within the grace.
        assert receiver.exit_code() == 0, receiver.logs()
        assert time.monotonic() - started < 25
        await steady(2)  # clients meanwhile: connection refused, never a 2xx
        await asyncio.to_thread(receiver.start)
        await receiver.wait_ready()
        await steady(4)
        assert len(ingest.acknowledged) > before

        await asyncio.to_thread(flow.stop)
        assert flow.exit_code() == 0, flow.logs()
        await steady(3)  # events pile up in Kafka while no flow runs
        await asyncio.to_thread(flow.start)
        await flow.wait_ready()
        await steady(4)

        ingest.stop.set()
        await asyncio.wait_for(driving, 150)
        sent = Counter(ingest.acknowledged)
        assert max(sent.values()) == 1

        indexed = await _indexed_seqs(search, f"{app.profile.index_prefix}-*", expected=len(sent))
        lost = sorted(set(sent) - set(indexed))
        doubled = sorted(seq for seq, n in indexed.items() if n > 1)
        unacknowledged = sorted(set(indexed) - set(sent))
        assert (lost, doubled, unacknowledged) == ([], [], []), ingest.answers
        # The stop was seen by the client (refused or 503), not papered over.
        assert set(ingest.answers) - {"200", "401"}, ingest.answers
    finally:
        for container in (receiver, flow):
            container.remove()
        await apps.producer.stop()
        await search.delete_index(f"{prefix}-*")
        await search.close()
