"""Looking at where a group's logs really are: which Kafka, which engine, which containers.

For the end-to-end tests of dedicated groups (tests/test_dedicated_groups.py):
they ask the engines themselves, never a Barito service, whether a marker is
there, and Docker itself which containers and volumes an infrastructure has.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from barito_common.chunk_codec import decode_chunk
from barito_common.kafka import Topics
from barito_common.schemas import AppProfile, from_bytes
from barito_common.settings import KafkaSettings
from barito_testing.apps import topic_values

__all__ = [
    "MarkerPoster",
    "docker_objects",
    "follow_tail",
    "index_markers",
    "latest_profile",
    "listening",
    "topic_markers",
]


def _kafka(bootstrap: str) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=bootstrap)


def _sync(coroutine: Any) -> Any:
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


def latest_profile(bootstrap: str, topic_prefix: str, slug: str) -> AppProfile | None:
    """The app's profile as the registry topic holds it now (the last record wins)."""
    found = None
    for value in _sync(topic_values(_kafka(bootstrap), Topics(topic_prefix).apps)):
        profile = from_bytes(AppProfile, value)
        if profile.slug == slug:
            found = profile
    return found


def topic_markers(bootstrap: str, topic: str, run: str) -> Counter[int]:
    """How often each marker sequence number of ``run`` is in ``topic`` on that Kafka."""
    seen: Counter[int] = Counter()
    for value in _sync(topic_values(_kafka(bootstrap), topic)):
        for _, record in decode_chunk(value):
            if record.get("marker") == run:
                seen[int(record["seq"])] += 1
    return seen


def index_markers(search_url: str, index_pattern: str, run: str) -> Counter[int]:
    """How often each marker of ``run`` is a document in the engine's indices of that pattern."""
    seen: Counter[int] = Counter()
    with httpx.Client(base_url=search_url, timeout=30) as engine:
        engine.post(f"/{index_pattern}/_refresh", params={"ignore_unavailable": "true"})
        found = engine.post(
            f"/{index_pattern}/_search",
            params={"ignore_unavailable": "true", "allow_no_indices": "true"},
            json={"size": 10_000, "query": {"term": {"marker": run}}, "_source": ["seq"]},
        )
        found.raise_for_status()
        for hit in found.json()["hits"]["hits"]:
            seen[int(hit["_source"]["seq"])] += 1
    return seen


def docker_objects(label: str) -> dict[str, list[str]]:
    """Names of the containers (running or not) and volumes carrying ``label``."""

    def names(*command: str) -> list[str]:
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        return sorted(line for line in out.splitlines() if line)

    return {
        "containers": names(
            "docker", "ps", "-a", "--filter", f"label={label}", "--format", "{{.Names}}"
        ),
        "volumes": names(
            "docker", "volume", "ls", "--filter", f"label={label}", "--format", "{{.Name}}"
        ),
    }


@dataclass
class MarkerPoster:
    """Posts numbered markers to one app, each retried until a 2xx, as an agent does.

    Every attempt of a marker carries the same Idempotency-Key, so a retry
    after an ambiguous 503 is the same chunk to the flow.
    """

    receiver_url: str
    secret: str
    interval_s: float = 0.05
    run: str = field(default_factory=lambda: f"m{uuid.uuid4().hex[:10]}")
    acked: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def post_one(self, seq: int, *, give_up_s: float = 120) -> int:
        """POST marker ``seq`` until acknowledged; the last status seen."""
        body = json.dumps({"message": f"{self.run} {seq}", "marker": self.run, "seq": seq})
        deadline = time.monotonic() + give_up_s
        status = 0
        while time.monotonic() < deadline:
            try:
                answer = httpx.post(
                    f"{self.receiver_url}/api/v1/logs",
                    content=body,
                    headers={
                        "X-App-Secret": self.secret,
                        "Content-Type": "application/json",
                        "Idempotency-Key": f"{self.run}-{seq}",
                    },
                    timeout=httpx.Timeout(10.0, read=40.0),
                )
                status = answer.status_code
            except httpx.HTTPError:
                status = 0
            self.statuses[status] += 1
            if 200 <= status < 300:
                self.acked.append(seq)
                return status
            time.sleep(0.25)
        return status

    def start(self) -> None:
        def loop() -> None:
            seq = len(self.acked)
            while not self._stop.is_set():
                self.post_one(seq)
                seq += 1
                self._stop.wait(self.interval_s)

        self._thread = threading.Thread(target=loop, name=f"poster-{self.run}", daemon=True)
        self._thread.start()

    def stop(self) -> list[int]:
        """Stop after the marker under way is acknowledged; every acknowledged one."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=180)
        return list(self.acked)


def listening(host: str, port: int) -> bool:
    """Whether something accepts connections there."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


class TailMarkers:
    """The markers one NDJSON tail delivered, by run, filled by a thread."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._seen: dict[str, set[int]] = {}
        self._lines = lines

    def pump(self) -> None:
        with contextlib.suppress(httpx.HTTPError, RuntimeError):
            for line in self._lines:
                event = json.loads(line).get("event")
                if isinstance(event, dict) and "marker" in event:
                    self._seen.setdefault(event["marker"], set()).add(int(event["seq"]))

    def markers(self, run: str) -> set[int]:
        return set(self._seen.get(run, set()))


@contextlib.contextmanager
def follow_tail(server_url: str, slug: str, secret: str) -> Iterator[TailMarkers]:
    """Follow an app's live tail (from now) in a thread while the test posts."""
    with (
        httpx.Client(timeout=httpx.Timeout(10.0, read=None)) as client,
        client.stream(
            "GET", f"{server_url}/api/v1/tail/{slug}", headers={"X-App-Secret": secret}
        ) as response,
    ):
        assert response.status_code == 200, response.read()
        lines = response.iter_lines()
        first = json.loads(next(lines))
        assert "started" in first, first
        seen = TailMarkers(lines)
        threading.Thread(target=seen.pump, daemon=True).start()
        yield seen
