"""The flow behind a real HTTP proxy in front of the real engine: a body-size limit, an outage.

Production often puts something between the flow and the engine (nginx with
``client_max_body_size``, a managed service's 10 MB request limit, a load
balancer); ``barito_testing.search_engine_proxy`` is such a proxy, so these
faults can be made without touching the engine the other tests share.
"""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client.parser import text_string_to_metric_families

from barito_testing.flow import Pipeline, pipeline
from barito_testing.search_engine_proxy import search_engine_proxy

pytestmark = pytest.mark.stack

LIMIT = 64 * 1024


async def test_a_bulk_over_the_proxys_body_limit_is_split_until_every_document_is_indexed(
    stack,
) -> None:
    async with (
        search_engine_proxy(stack.elasticsearch_url, max_body_bytes=LIMIT) as proxy,
        pipeline(stack, "elasticsearch", flow_search_url=proxy.url) as p,
    ):
        app = await p.apps.register()
        # One request, one chunk, one bulk of about 450 KiB: seven times the limit.
        await p.send_ndjson(app, [{"seq": n, "message": "x" * 1000} for n in range(400)])

        assert await p.wait_for_count(app, 400, timeout_s=90) == 400
        assert await _seqs(p, app) == set(range(400))
        # The proxy did refuse the bulk: the flow split it.
        assert proxy.too_large > 0


async def test_bulks_are_cut_at_bulk_max_bytes_so_the_proxy_refuses_none(stack) -> None:
    async with (
        search_engine_proxy(stack.elasticsearch_url, max_body_bytes=LIMIT) as proxy,
        pipeline(stack, "elasticsearch", flow_search_url=proxy.url, bulk_max_bytes=LIMIT // 2) as p,
    ):
        app = await p.apps.register()
        await p.send_ndjson(app, [{"seq": n, "message": "x" * 1000} for n in range(400)])

        assert await p.wait_for_count(app, 400, timeout_s=90) == 400
        assert proxy.too_large == 0


async def test_a_document_over_the_proxys_body_limit_is_dead_lettered_and_its_partition_flows_on(
    stack,
) -> None:
    async with (
        search_engine_proxy(stack.elasticsearch_url, max_body_bytes=LIMIT) as proxy,
        pipeline(stack, "elasticsearch", flow_search_url=proxy.url, usage_window_s=1.0) as p,
    ):
        app = await p.apps.register()
        huge = {"seq": 1, "message": "x" * (LIMIT + 1000)}
        await p.send_ndjson(app, [{"seq": 0, "message": "before"}, huge, {"seq": 2}])
        assert await p.wait_for_count(app, 2, timeout_s=90) == 2

        (letter,) = await p.dead_letters(app, expect=1)
        assert letter.event == huge
        assert letter.index_in_chunk == 1
        assert "413" in letter.reason and "request_entity_too_large" in letter.reason
        assert str(LIMIT) in letter.reason

        # The partition was not stalled by the document it could not index.
        await p.send_ndjson(app, [{"seq": 3, "message": "later"}])
        assert await p.wait_for_count(app, 3) == 3
        assert await _seqs(p, app) == {0, 2, 3}
        reports = await p.flow_usage(app, events=3, dead_lettered=1)
        assert sum(r.events for r in reports) == 3
        assert sum(r.dead_lettered for r in reports) == 1


async def test_an_outage_at_an_apps_first_template_put_is_retried_gently_and_loses_nothing(
    stack,
) -> None:
    async with (
        search_engine_proxy(stack.elasticsearch_url) as proxy,
        pipeline(stack, "elasticsearch", flow_search_url=proxy.url, retry_cap_s=8.0) as p,
    ):
        app = await p.apps.register(partitions=2)
        errors_before = await _flow_errors(p)
        await proxy.refuse_connections()
        try:
            # The flow's first need of the engine for this app is its index template.
            await p.send_ndjson(app, [{"seq": n} for n in range(100)])
            await asyncio.sleep(10)
            errors_in_outage = await _flow_errors(p) - errors_before
        finally:
            await proxy.accept_connections()
        await p.send_ndjson(app, [{"seq": n} for n in range(100, 200)])

        # Each failed attempt counts one error. Replayed without a backoff, the batch
        # tried once per Kafka fetch round trip: 20 times in 10 s, for as long as the
        # outage lasts. With backoff (jittered, capped at 8 s) about 6 times.
        assert 0 < errors_in_outage < 15
        assert await p.wait_for_count(app, 200, timeout_s=90) == 200
        assert await _seqs(p, app) == set(range(200))


async def _seqs(p: Pipeline, app) -> set[int]:
    """The ``seq`` of every indexed event, checked to be indexed once each."""
    pattern = f"{app.profile.index_prefix}-*"
    body = await p.search.search(
        pattern, size=0, aggs={"seqs": {"terms": {"field": "seq", "size": 1000}}}
    )
    buckets = body["aggregations"]["seqs"]["buckets"]
    assert {bucket["doc_count"] for bucket in buckets} <= {1}
    return {int(bucket["key"]) for bucket in buckets}


async def _flow_errors(p: Pipeline) -> float:
    """The flow's ``barito_errors_total``, summed over stages."""
    metrics = text_string_to_metric_families((await p.flow.get("/metrics")).text)
    return sum(
        sample.value
        for family in metrics
        if family.name == "barito_errors"
        for sample in family.samples
        if sample.name == "barito_errors_total"
    )
