"""Flow benchmark: one flow process vs. the engine's own async bulk helper, same run.

    uv run python bench/flow/run.py [--events 100000] [--engine elasticsearch]

Needs the local stack (`uv run barito stack up`). It writes the events as
chunks of 1,000 into a fresh app topic, then (1) indexes the very documents
flow would build with `elasticsearch.helpers.async_bulk` (or OpenSearch's)
into a scratch index — the raw rate — and (2) starts one flow process and
times it from start until every document is searchable. Printed: both rates
and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

from barito_common.chunk_codec import Event, encode_chunks
from barito_common.kafka import Topics, create_admin, create_producer, ensure_topics, log_topic_spec
from barito_common.search import create_search_adapter
from barito_common.settings import KafkaSettings, SearchSettings
from barito_flow.documents import chunk_documents

URLS = {"elasticsearch": "http://127.0.0.1:19200", "opensearch": "http://127.0.0.1:19201"}


def make_events(count: int) -> list[Event]:
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return [
        Event(stamp, {"level": "info", "seq": i, "host": "web-17", "service": "checkout",
                      "message": f"GET /api/v1/orders/{i} 200 12.3ms user=u{i % 97}"})
        for i in range(count)
    ]  # fmt: skip


async def raw_bulk(engine: str, url: str, index: str, events: list[Event]) -> float:
    docs = chunk_documents(
        events=events, app_slug="bench", index_prefix=index,
        chunk_id="raw", fallback_day=date.today(),
    )  # fmt: skip
    actions: list[dict[str, Any]] = [
        {"_op_type": "create", "_index": d.index, "_id": d.id, "_source": d.source} for d in docs
    ]
    if engine == "elasticsearch":
        from elasticsearch import AsyncElasticsearch
        from elasticsearch.helpers import async_bulk

        client: Any = AsyncElasticsearch(url)
    else:
        from opensearchpy import AsyncOpenSearch
        from opensearchpy.helpers import async_bulk  # type: ignore[no-redef]

        client = AsyncOpenSearch(hosts=[url])
    started = time.perf_counter()
    await async_bulk(client, actions, chunk_size=2000)
    await client.indices.refresh(index=f"{index}-*")
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--engine", choices=list(URLS), default="elasticsearch")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:6]
    kafka = KafkaSettings(topic_prefix=f"fbench{run}.")
    search = SearchSettings(engine=args.engine, url=URLS[args.engine], index_prefix=f"fbench{run}-")
    topics = Topics(kafka.topic_prefix)
    events = make_events(args.events)

    admin = create_admin(kafka)
    await admin.start()
    await ensure_topics(admin, [log_topic_spec(topics, "bench", partitions=2, replication=1)])
    await admin.close()
    producer = create_producer(kafka, compression_type="zstd")
    await producer.start()
    for start in range(0, len(events), 1000):
        for chunk in encode_chunks(events[start : start + 1000]):
            await producer.send(topics.logs("bench"), chunk, partition=(start // 1000) % 2)
    await producer.flush()
    await producer.stop()

    adapter = create_search_adapter(search)
    try:
        raw = await raw_bulk(args.engine, search.url, f"fbench{run}-raw", events)
        env = {
            **os.environ,
            "BARITO_PORT": "18983",
            "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
            "BARITO_SEARCH__ENGINE": args.engine,
            "BARITO_SEARCH__URL": search.url,
            "BARITO_SEARCH__INDEX_PREFIX": search.index_prefix,
            "BARITO_LOG_LEVEL": "WARNING",
        }
        started = time.perf_counter()
        flow = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "barito_flow.main", env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        pattern = f"fbench{run}-bench-*"
        first_seen: tuple[float, int] | None = None
        try:
            while True:
                await asyncio.sleep(0.1)
                try:
                    await adapter.refresh(pattern)
                    count = await adapter.count(pattern)
                except Exception:
                    continue
                if first_seen is None and count > 0:
                    # Start-up (imports, registry, group join) is not indexing speed.
                    first_seen = (time.perf_counter(), count)
                if count >= args.events:
                    break
            done = time.perf_counter()
            elapsed = done - started
            assert first_seen is not None
            steady = (args.events - first_seen[1]) / (done - first_seen[0])
        finally:
            flow.terminate()
            await flow.wait()
        raw_rate, flow_rate = args.events / raw, args.events / elapsed
        print(f"{args.events} events, engine {args.engine}")
        print(f"{'raw async_bulk helper':<24} {raw_rate:>10,.0f} docs/s")
        print(f"{'one flow process':<24} {flow_rate:>10,.0f} docs/s  (from process start)")
        print(f"{'one flow, steady':<24} {steady:>10,.0f} docs/s  ratio {steady / raw_rate:.2f}")
    finally:
        await adapter.delete_index(f"fbench{run}-*")
        await adapter.close()


if __name__ == "__main__":
    asyncio.run(main())
