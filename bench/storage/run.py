"""Storage per event: bytes on disk per stored event against its raw JSON, per template variant.

    uv run python bench/storage/run.py --engine elasticsearch|opensearch [--events 100000]
                                       [--variant baseline --variant best_compression ...]

Needs the local stack's engines (`uv run barito stack up`). It generates a
realistic mix (:mod:`mix`: nginx access logs, JSON application logs with
nested fields, Java and Python stack traces; the same records on every run),
turns it into the documents the flow indexes (its ``chunk_documents``: the
record plus ``@timestamp`` and ``barito.app``, ids ``<chunk id>-<n>``) and, on
each engine, for each variant of :mod:`variants` (the first, ``baseline``, is
Barito's template as it is, put through ``index_template_body``):

1. puts the variant's template and indexes the documents into one fresh daily
   index through the adapter's ``bulk_index`` (the flow's own path): bulks of
   2,000, four in flight, like the flow's defaults;
2. refreshes, force-merges to one segment and reads ``_stats/store`` of the
   primary shard;
3. runs the market's searches (:mod:`features`) and compares their answers
   with the baseline's.

Printed per engine: bytes on disk per event and its ratio to the raw JSON
(the record as the agent sent it) and to the baseline; the indexing rate
(events/s, wall clock of the bulks) and the engine's CPU milliseconds per
1,000 events (from ``_nodes/stats``, steadier than wall clock on a shared
machine), each with its ratio to the baseline; the phrase search's median
``took``; and whether every market search answered as on the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import httpx
import orjson
from features import Answers, run_checks, timed_phrase_ms
from mix import MIX, records
from variants import VARIANTS, Variant, template_of

from barito_common.chunk_codec import Event
from barito_common.search import (
    Engine,
    IndexSize,
    SearchAdapter,
    SearchRequestError,
    create_search_adapter,
)
from barito_common.search.index_template import template_name
from barito_common.settings import SearchSettings
from barito_flow.documents import chunk_documents

URLS: dict[Engine, str] = {
    "elasticsearch": "http://127.0.0.1:19200",
    "opensearch": "http://127.0.0.1:19201",
}
SLUG = "shop"
EVENTS_PER_CHUNK = 1000
BULK_SIZE = 2000
BULKS_IN_FLIGHT = 4


@dataclass(frozen=True)
class Workload:
    events: list[Event]
    raw_bytes: int
    source_bytes: int


@dataclass(frozen=True)
class Result:
    variant: Variant
    documents: int
    store_bytes: int
    seconds: float
    engine_ms: float
    phrase_ms: float
    answers: Answers


@dataclass(frozen=True)
class Unavailable:
    variant: Variant
    reason: str


def workload(count: int) -> Workload:
    events = [Event(time, record) for _, time, record in records(count)]
    raw = sum(len(orjson.dumps(e.record)) for e in events)
    source = sum(
        len(orjson.dumps({**e.record, "@timestamp": e.time, "barito": {"app": SLUG}}))
        for e in events
    )
    return Workload(events, raw, source)


def documents(events: list[Event], index_prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    docs: list[tuple[str, str, dict[str, Any]]] = []
    for start in range(0, len(events), EVENTS_PER_CHUNK):
        chunk = chunk_documents(
            events=events[start : start + EVENTS_PER_CHUNK],
            app_slug=SLUG,
            index_prefix=index_prefix,
            chunk_id=uuid.uuid5(uuid.NAMESPACE_OID, str(start)).hex[:16],
            fallback_day=date(2025, 1, 31),
        )
        docs.extend((d.index, d.id, d.source) for d in chunk)
    return docs


async def engine_ms(http: httpx.AsyncClient, index: str) -> float:
    """Thread time the engine spent on ``index``: indexing, refreshes, merges and flushes.

    Counted per index, so other indices' work on a shared engine stays out of it.
    """
    stats = (await http.get(f"/{index}/_stats/indexing,refresh,merge,flush")).json()
    primaries = stats["indices"][index]["primaries"]
    return float(
        primaries["indexing"]["index_time_in_millis"]
        + primaries["refresh"]["total_time_in_millis"]
        + primaries["merges"]["total_time_in_millis"]
        + primaries["flush"]["total_time_in_millis"]
    )


async def merged_size(search: SearchAdapter, http: httpx.AsyncClient, index: str) -> IndexSize:
    """The index's size once force-merged to one segment and the merged-away files are gone.

    The engine deletes a merged segment's files only once no reader holds them:
    right after ``_forcemerge`` the store still counts them, so the size is read
    after a refresh and a flush, when one segment is left and the size holds still.
    """
    merged = await http.post(f"/{index}/_forcemerge", params={"max_num_segments": 1})
    merged.raise_for_status()
    deadline = time.monotonic() + 120
    last = -1
    while True:
        await http.post(f"/{index}/_refresh")
        await http.post(f"/{index}/_flush")
        segments = (await http.get(f"/_cat/segments/{index}", params={"format": "json"})).json()
        size = (await search.index_sizes(index))[index]
        if len(segments) == 1 and size.bytes == last:
            return size
        if time.monotonic() > deadline:
            raise RuntimeError(f"{index} did not settle: {len(segments)} segments")
        last = size.bytes
        await asyncio.sleep(0.5)


async def index_all(search: SearchAdapter, docs: list[tuple[str, str, dict[str, Any]]]) -> None:
    batches = [docs[i : i + BULK_SIZE] for i in range(0, len(docs), BULK_SIZE)]
    gate = asyncio.Semaphore(BULKS_IN_FLIGHT)

    async def one(batch: list[tuple[str, str, dict[str, Any]]]) -> None:
        async with gate:
            result = await search.bulk_index(batch)
        if not result.all_done:
            failed = next(item for item in result.items if item.outcome.name != "OK")
            raise RuntimeError(f"bulk item failed: {failed}")

    await asyncio.gather(*(one(batch) for batch in batches))


async def measure(
    engine: Engine, variant: Variant, load: Workload, run_id: str
) -> Result | Unavailable:
    prefix = f"bench-storage-{run_id}-{variant.name.replace('+', '-')}"
    docs = documents(load.events, prefix)
    index = docs[0][0]
    settings = SearchSettings(engine=engine, url=URLS[engine], request_timeout_s=600)
    async with (
        create_search_adapter(settings) as search,
        httpx.AsyncClient(base_url=URLS[engine], timeout=600) as http,
    ):
        name = template_name(prefix)
        try:
            await search.put_index_template(name, **template_of(variant, f"{prefix}-*"))
        except SearchRequestError as err:
            # E.g. match_only_text on an Elasticsearch without its mapper-extras
            # module (the local stack's integ-test-zip has none).
            return Unavailable(variant, _root_cause(str(err)))
        try:
            started = time.perf_counter()
            await index_all(search, docs)
            seconds = time.perf_counter() - started
            await search.refresh(index)
            spent_ms = await engine_ms(http, index)
            size = await merged_size(search, http, index)
            answers = await run_checks(search, prefix, SLUG)
            phrase_ms = await timed_phrase_ms(search, prefix, SLUG)
        finally:
            await search.delete_index(f"{prefix}-*")
            await search.delete_index_template(name)
    return Result(variant, size.documents, size.bytes, seconds, spent_ms, phrase_ms, answers)


def _root_cause(message: str) -> str:
    return message.rsplit("(caused by ", 1)[-1].rstrip(")")[:100]


def report(engine: Engine, load: Workload, results: list[Result | Unavailable]) -> None:
    count = len(load.events)
    raw = load.raw_bytes / count
    measured = [r for r in results if isinstance(r, Result)]
    bases = [r for r in measured if r.variant.name.startswith("baseline")]
    if not bases or bases[0] is not results[0]:
        raise RuntimeError(f"the baseline template was refused on {engine}")
    base = bases[0]
    base_bpe = base.store_bytes / base.documents
    # Rates against the mean of the baseline's runs, the first and the last of
    # the run, so that a machine growing busier or quieter in between shows.
    base_rate = statistics.mean(count / b.seconds for b in bases)
    base_ms = statistics.mean(b.engine_ms / count * 1000 for b in bases)
    print(
        f"\n{engine}: {count} events, raw JSON {raw:.0f} B/event "
        f"(as indexed with @timestamp and barito.app: {load.source_bytes / count:.0f} B)"
    )
    print(
        f"{'variant':<24} {'B/event':>8} {'÷raw':>6} {'÷base':>6} {'events/s':>9} {'÷base':>6} "
        f"{'engine ms/1k':>12} {'÷base':>6} {'phrase ms':>9}  market searches"
    )
    for r in results:
        if isinstance(r, Unavailable):
            print(f"{r.variant.name:<24} not available on this engine: {r.reason}")
            continue
        bpe = r.store_bytes / r.documents
        rate = count / r.seconds
        spent = r.engine_ms / count * 1000
        differ = [k for k, v in r.answers.items() if v != base.answers[k]]
        refused = [k for k, v in r.answers.items() if v.startswith("refused")]
        features = "as baseline" if not differ else "DIFFER: " + ", ".join(differ)
        if r is base and refused:
            features = "REFUSED: " + ", ".join(refused)
        print(
            f"{r.variant.name:<24} {bpe:>8.0f} {bpe / raw:>6.2f} {bpe / base_bpe:>6.2f} "
            f"{rate:>9.0f} {rate / base_rate:>6.2f} {spent:>12.1f} {spent / base_ms:>6.2f} "
            f"{r.phrase_ms:>9.1f}  {features}"
        )
        if r.documents != count:
            print(f"  ! {r.documents} documents stored of {count}")
    print("\nvariants:")
    for r in results:
        loses = f"; gives up {r.variant.loses}" if r.variant.loses else ""
        print(f"  {r.variant.name}: {r.variant.what}{loses}")
    print("\nbaseline answers:")
    for name, answer in base.answers.items():
        print(f"  {name}: {answer}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    # One engine per run keeps a run within a few minutes on a small machine.
    parser.add_argument("--engine", required=True, choices=list(URLS))
    parser.add_argument("--variant", action="append", choices=[v.name for v in VARIANTS])
    args = parser.parse_args()
    engines: list[Engine] = [args.engine]
    chosen = [v for v in VARIANTS if v.name == "baseline" or v.name in (args.variant or [v.name])]
    load = workload(args.events)
    print(
        f"mix: {', '.join(f'{k} {v:.0%}' for k, v in MIX.items())}; "
        f"bulks of {BULK_SIZE}, {BULKS_IN_FLIGHT} in flight; one shard, no replica"
    )
    run_id = uuid.uuid4().hex[:8]
    for engine in engines:
        # The engine's first indexing of a run is slower (JIT, caches), whichever
        # variant it is: a discarded baseline run goes first.
        await measure(engine, VARIANTS[0], workload(min(args.events, 10_000)), f"{run_id}-warm")
        results: list[Result | Unavailable] = []
        for variant in chosen:
            if engine not in variant.engines:
                continue
            result = await measure(engine, variant, load, run_id)
            results.append(result)
            if isinstance(result, Result):
                print(
                    f"  {engine} {variant.name}: {result.store_bytes / result.documents:.0f} "
                    f"B/event, {len(load.events) / result.seconds:.0f} events/s",
                    flush=True,
                )
        again = await measure(engine, replace(VARIANTS[0], name="baseline-again"), load, run_id)
        results.append(again)
        report(engine, load, results)


if __name__ == "__main__":
    asyncio.run(main())
