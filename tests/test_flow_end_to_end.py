"""Every acknowledged event becomes exactly one document in its own app's index."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from barito_common.kafka import create_consumer
from barito_common.schemas import DeadLetter, from_bytes
from barito_common.search.index_template import index_template_body, template_name
from barito_testing.flow import pipeline

pytestmark = pytest.mark.stack

ENGINES = ["elasticsearch", "opensearch"]


def _events(app_tag: str, start: int, count: int, now: datetime) -> list[dict]:
    yesterday = now - timedelta(days=1)
    events = []
    for seq in range(start, start + count):
        if seq % 10 == 0:
            stamp = yesterday.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        elif seq % 10 == 1:
            # The same instant written with a +07:00 offset: indexed by its UTC day.
            stamp = (now.astimezone(_PLUS_SEVEN)).isoformat(timespec="milliseconds")
        else:
            stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        events.append({"@timestamp": stamp, "seq": seq, "app_tag": app_tag, "message": "m"})
    return events


_PLUS_SEVEN = timezone(timedelta(hours=7))


async def _unique_seqs(search, pattern: str, size: int) -> dict[int, int]:
    body = await search.search(
        pattern, size=0, aggs={"seqs": {"terms": {"field": "seq", "size": size}}}
    )
    return {b["key"]: b["doc_count"] for b in body["aggregations"]["seqs"]["buckets"]}


@pytest.mark.parametrize("engine", ENGINES)
async def test_ten_thousand_events_over_three_apps_are_each_indexed_exactly_once(
    stack, engine
) -> None:
    now = datetime.now(UTC).replace(hour=12)  # midday: the +07:00 form stays on the same day
    async with pipeline(stack, engine) as p:
        apps = [await p.apps.register() for _ in range(3)]
        per_app = [3334, 3333, 3333]
        sends = []
        for app, total in zip(apps, per_app, strict=True):
            for start in range(0, total, 500):
                batch = _events(app.profile.slug, start, min(500, total - start), now)
                sends.append(p.send_ndjson(app, batch))
        await asyncio.gather(*sends)

        for app, total in zip(apps, per_app, strict=True):
            pattern = f"{app.profile.index_prefix}-*"
            assert await p.wait_for_count(app, total) == total
            seqs = await _unique_seqs(p.search, pattern, total + 10)
            assert len(seqs) == total and set(seqs.values()) == {1}
            # Only this app's events are in its indices.
            foreign = await p.search.count(
                pattern, query={"bool": {"must_not": {"term": {"app_tag": app.profile.slug}}}}
            )
            assert foreign == 0
            # Each event is in the index of its own UTC day.
            today = f"{app.profile.index_prefix}-{now:%Y.%m.%d}"
            yesterday = f"{app.profile.index_prefix}-{now - timedelta(days=1):%Y.%m.%d}"
            assert sorted(await p.search.list_indices(pattern)) == sorted([today, yesterday])
            assert await p.search.count(yesterday) == len(range(0, total, 10))


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_mapping_conflict_goes_to_the_dead_letter_topic_and_its_chunk_mates_are_indexed(
    stack, engine
) -> None:
    async with pipeline(stack, engine, usage_window_s=1.0) as p:
        app = await p.apps.register()
        await p.send_ndjson(app, [{"n": 1, "k": "first"}])
        assert await p.wait_for_count(app, 1) == 1
        await p.send_ndjson(
            app, [{"n": 2, "k": "ok-a"}, {"n": "not a number", "k": "bad"}, {"n": 3, "k": "ok-b"}]
        )
        assert await p.wait_for_count(app, 3) == 3

        consumer = create_consumer(p.kafka, p.apps.topics.dead_letters, group_id=None)
        await consumer.start()
        letters: list[DeadLetter] = []
        try:
            async with asyncio.timeout(30):
                while not letters:
                    for records in (await consumer.getmany(timeout_ms=500)).values():
                        letters += [from_bytes(DeadLetter, r.value) for r in records]
        finally:
            await consumer.stop()
        (letter,) = letters
        assert letter.app_slug == app.profile.slug
        assert letter.event == {"n": "not a number", "k": "bad"}
        assert letter.index_in_chunk == 1
        assert "n" in letter.reason and "parse" in letter.reason.lower()

        # The flow's usage reports count the three indexed events and the dead letter.
        reports = await p.flow_usage(app, events=3, dead_lettered=1)
        assert sum(r.events for r in reports) == 3
        assert sum(r.dead_lettered for r in reports) == 1
        assert sum(r.bytes for r in reports) > 0
        assert len({r.report_id for r in reports}) == len(reports)


@pytest.mark.parametrize("engine", ENGINES)
async def test_retention_deletes_indices_past_the_apps_retention_and_keeps_the_rest(
    stack, engine
) -> None:
    async with pipeline(stack, engine) as p:
        app = await p.apps.register(retention_days=3)
        today = datetime.now(UTC).date()
        prefix = app.profile.index_prefix
        old = f"{prefix}-{today - timedelta(days=3):%Y.%m.%d}"
        kept = f"{prefix}-{today - timedelta(days=2):%Y.%m.%d}"
        await p.search.bulk_index([(old, "1", {"a": 1}), (kept, "1", {"a": 1})], refresh=True)
        response = await p.flow.post("/api/v1/retention/run")
        assert response.status_code == 200
        assert old in response.json()["deleted"]
        assert await p.search.list_indices(f"{prefix}-*") == [kept]


async def test_a_request_sent_again_after_an_unconfirmed_write_is_indexed_once(stack) -> None:
    # A client that gets a 503 for a write Kafka took but could not confirm in
    # time sends the same body again: its chunks are the same, so are their ids.
    now = datetime.now(UTC)
    async with pipeline(stack, "elasticsearch") as p:
        app = await p.apps.register()
        timed = _events(app.profile.slug, 0, 50, now)
        await p.send_ndjson(app, timed)
        await p.send_ndjson(app, timed)
        # Events without a time of their own are stamped on receipt: sent twice,
        # a few milliseconds apart, they are two sets of events and both are kept.
        untimed = [{"seq": 1000 + n, "message": "no time"} for n in range(5)]
        await p.send_ndjson(app, untimed)
        await asyncio.sleep(0.01)
        await p.send_ndjson(app, untimed)

        assert await p.wait_for_count(app, 60) == 60
        seqs = await _unique_seqs(p.search, f"{app.profile.index_prefix}-*", 100)
        assert {seq: n for seq, n in seqs.items() if seq < 1000} == dict.fromkeys(range(50), 1)
        assert {seq: n for seq, n in seqs.items() if seq >= 1000} == {1000 + n: 2 for n in range(5)}
        # The team's log volume counts what is in the index, not what was retried.
        reports = await p.flow_usage(app, events=60, dead_lettered=0)
        assert sum(r.events for r in reports) == 60


async def test_a_named_request_sent_again_is_indexed_once_though_its_events_have_no_time(
    stack,
) -> None:
    # fluentd's out_http sends records without their time, so every attempt is
    # stamped anew on receipt; only the request's name (its buffer chunk id)
    # says that the second attempt is the first one again.
    async with pipeline(stack, "elasticsearch") as p:
        app = await p.apps.register()
        lines = [{"seq": n, "message": "no time"} for n in range(5)]
        await p.send_ndjson(app, lines, headers={"Idempotency-Key": '"chunk-1"'})
        # Past the millisecond: the attempts' stamps, and so their contents, differ.
        await asyncio.sleep(0.01)
        await p.send_ndjson(app, lines, params={"idempotency_key": "chunk-1"})
        # A request of several chunks, sent twice: each chunk keeps its own ids.
        padded = [{"seq": 1000 + n, "pad": "p" * 2000} for n in range(1000)]
        for _ in range(2):
            await p.send_ndjson(app, padded, headers={"Idempotency-Key": "chunk-2"})
        # The first two requests are a chunk each, the big one two chunks or more.
        assert await p.apps.chunk_count(app) >= 2 + 2 * 2
        # Another request that holds the same lines, and a key reused by mistake
        # for other lines: neither is a retry, and both are kept.
        await p.send_ndjson(app, lines, headers={"Idempotency-Key": "chunk-3"})
        others = [{"seq": 100 + n, "message": "no time"} for n in range(5)]
        await p.send_ndjson(app, others, headers={"Idempotency-Key": "chunk-1"})

        assert await p.wait_for_count(app, 1015) == 1015
        seqs = await _unique_seqs(p.search, f"{app.profile.index_prefix}-*", 2000)
        assert seqs == {
            **dict.fromkeys(range(5), 2),
            **dict.fromkeys(range(100, 105), 1),
            **dict.fromkeys(range(1000, 2000), 1),
        }


async def test_the_flow_keeps_the_provisioners_index_template_and_stands_in_without_one(
    stack,
) -> None:
    now = datetime.now(UTC)
    async with pipeline(stack, "elasticsearch") as p:
        provisioned = await p.apps.register(capacity="medium")
        # As the provisioner puts it on a one-node cluster: medium's replica dropped.
        await p.search.put_index_template(
            template_name(provisioned.profile.index_prefix),
            **index_template_body(
                index_prefix_pattern=f"{provisioned.profile.index_prefix}-*",
                shards=3,
                replicas=0,
            ),
        )
        unprovisioned = await p.apps.register(capacity="medium")
        for app in (provisioned, unprovisioned):
            await p.send_ndjson(app, _events(app.profile.slug, 2, 5, now))
            assert await p.wait_for_count(app, 5) == 5

        shape = {}
        for name, app in (("provisioned", provisioned), ("unprovisioned", unprovisioned)):
            index = (await _index_settings(p, app))["index"]
            shape[name] = (index["number_of_shards"], index["number_of_replicas"])
        # Without a provisioner's template the flow's own stands in, from medium's numbers.
        assert shape == {"provisioned": ("3", "0"), "unprovisioned": ("3", "1")}


async def _index_settings(p, app) -> dict:
    [index] = await p.search.list_indices(f"{app.profile.index_prefix}-*")
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{p.search_settings.url}/{index}/_settings")
    return response.json()[index]["settings"]
