"""Real, unmodified Elasticsearch clients writing to Barito, read back from search.

A receiver serves the Elasticsearch-compatible API on a real port beside a
flow on the stack (the same Kafka and topic prefix), so each test follows a
log from the client's own code to the search engine: the official Python
client's bulk helpers (sync and async) and rsyslog's ``omelasticsearch``, run
as a private rsyslogd fed over TCP.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from elasticsearch import AsyncElasticsearch, AuthenticationException, Elasticsearch, helpers

from barito_testing.apps import App, Apps
from barito_testing.flow import Pipeline, pipeline
from barito_testing.ports import free_port
from barito_testing.receiver import in_process_receiver
from barito_testing.serving import serve

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"


@dataclass
class EsPath:
    pipeline: Pipeline
    apps: Apps
    """Registers apps in the flow's registry and in the bulk receiver's."""
    url: str
    """The receiver's Elasticsearch-compatible API, on a real port."""

    async def sources(self, app: App, expect: int) -> list[dict[str, Any]]:
        """The app's documents in search, once ``expect`` arrived (and a little longer)."""
        assert await self.pipeline.wait_for_count(app, expect) == expect
        pattern = f"{app.profile.index_prefix}-*"
        found = await self.pipeline.search.search(pattern, size=expect + 10)
        return [hit["_source"] for hit in found["hits"]["hits"]]


@pytest.fixture(scope="module")
async def es(stack: Any) -> AsyncIterator[EsPath]:
    async with AsyncExitStack() as exits:
        p = await exits.enter_async_context(pipeline(stack, "elasticsearch"))
        receiver = await exits.enter_async_context(in_process_receiver(p.kafka))
        url = await exits.enter_async_context(serve(receiver.app, lifespan="off"))
        apps = Apps(p.kafka, *p.apps.registries, receiver.registry)
        await apps.producer.start()
        exits.push_async_callback(apps.producer.stop)
        yield EsPath(p, apps, url)


def _fields(source: dict[str, Any]) -> dict[str, Any]:
    """A document's own fields, without the two Barito adds."""
    return {key: value for key, value in source.items() if key not in ("@timestamp", "barito")}


async def test_python_client_bulk_helpers_land_every_marker_once(es: EsPath) -> None:
    app = await es.apps.register()
    run = uuid.uuid4().hex[:8]
    async_docs = [
        {"_index": "logs-any", "message": f"async-{run}-{n}", "n": n, "tags": ["a", "b"]}
        for n in range(40)
    ]
    client = AsyncElasticsearch(es.url, basic_auth=(app.profile.slug, app.secret))
    try:
        refused = {"_op_type": "delete", "_index": "logs-any", "_id": "gone"}
        ok, errors = await helpers.async_bulk(
            client, [*async_docs, refused], chunk_size=15, raise_on_error=False
        )
    finally:
        await client.close()
    assert ok == 40
    [(error,)] = [tuple(error.values()) for error in errors]
    assert error["status"] == 400 and "append-only" in error["error"]["reason"]

    sync_docs = [
        {
            "_op_type": "create",
            "_index": "logs-any",
            "_id": f"sync-{run}-{n}",
            "@timestamp": "2026-01-02T03:04:05.678Z",
            "message": f"sync-{run}-{n}",
            "nested": {"level": "warn"},
        }
        for n in range(20)
    ]

    def send_sync() -> tuple[int, Any]:
        with Elasticsearch(es.url, api_key=("any-id", app.secret)) as client:
            return helpers.bulk(client, sync_docs)

    # The sync client blocks; the receiver serves from this event loop.
    assert await asyncio.to_thread(send_sync) == (20, [])

    sources = await es.sources(app, 60)
    by_message = {source["message"]: source for source in sources}
    assert len(by_message) == len(sources) == 60
    for doc in async_docs:
        source = by_message[doc["message"]]
        assert _fields(source) == {k: v for k, v in doc.items() if k != "_index"}
        assert source["barito"] == {"app": app.profile.slug}
    for doc in sync_docs:
        source = by_message[doc["message"]]
        assert source["@timestamp"] == "2026-01-02T03:04:05.678Z"
        assert source["nested"] == {"level": "warn"}


@asynccontextmanager
async def rsyslogd(tmp: Path, *, es_port: int, user: str, secret: str) -> AsyncIterator[int]:
    """A private rsyslogd: imtcp on a free port (yielded), omelasticsearch in bulk mode."""
    tcp_port = free_port()
    (tmp / "work").mkdir()
    conf = tmp / "rsyslog.conf"
    conf.write_text(
        RSYSLOG_CONF.format(
            work=tmp / "work",
            es_port=es_port,
            user=user,
            secret=secret,
            errors=tmp / "errors.json",
            tcp_port=tcp_port,
        )
    )
    process = await asyncio.create_subprocess_exec(
        RSYSLOGD,
        "-n",
        "-f",
        str(conf),
        "-i",
        str(tmp / "rsyslogd.pid"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(20):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", tcp_port)).close()
                    break
                except OSError:
                    await asyncio.sleep(0.1)
        yield tcp_port
    finally:
        process.terminate()
        await process.wait()


# The configuration docs/agents.md gives, with the test's ports and secret.
RSYSLOG_CONF = """
global(workDirectory="{work}")
module(load="imtcp")
module(load="omelasticsearch")
template(name="barito-json" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="severity" name="syslogseverity-text" format="jsonf")
  property(outname="facility" name="syslogfacility-text" format="jsonf")
  property(outname="program" name="programname" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
}}
ruleset(name="to-barito") {{
  action(type="omelasticsearch" server="127.0.0.1" serverport="{es_port}"
         uid="{user}" pwd="{secret}" searchIndex="syslog" bulkmode="on"
         template="barito-json" errorfile="{errors}" action.resumeRetryCount="-1")
}}
input(type="imtcp" port="{tcp_port}" ruleset="to-barito")
"""


async def test_rsyslog_omelasticsearch_lands_every_marker_once(es: EsPath, tmp_path: Path) -> None:
    app = await es.apps.register()
    run = uuid.uuid4().hex[:8]
    lines = [
        f"<{8 * 1 + (3 if n % 2 else 6)}>1 2026-01-02T03:04:{n:02d}.250Z web-{n % 3} nginx "
        f'{1000 + n} - - marker-{run}-{n} said "hi"\n'
        for n in range(30)
    ]
    es_port = int(es.url.rsplit(":", 1)[1])
    async with rsyslogd(
        tmp_path, es_port=es_port, user=app.profile.slug, secret=app.secret
    ) as tcp_port:
        _, writer = await asyncio.open_connection("127.0.0.1", tcp_port)
        writer.write("".join(lines).encode())
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        sources = await es.sources(app, 30)
    assert not (tmp_path / "errors.json").exists()
    by_message = {source["message"]: source for source in sources}
    assert len(by_message) == len(sources) == 30
    for n in range(30):
        source = by_message[f'marker-{run}-{n} said "hi"']
        assert source["@timestamp"] == f"2026-01-02T03:04:{n:02d}.250Z"
        assert source["host"] == f"web-{n % 3}"
        assert source["program"] == "nginx"
        assert source["facility"] == "user"
        assert source["severity"] == ("err" if n % 2 else "info")
        assert source["barito"] == {"app": app.profile.slug}


def _ndjson(*values: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(value) + b"\n" for value in values)


async def test_a_retried_bulk_with_the_same_ids_is_indexed_once(es: EsPath) -> None:
    app = await es.apps.register()
    # No time in the documents: each attempt is stamped on receipt, so only the
    # ids can tell the second attempt is the first one again.
    body = b"".join(
        _ndjson({"create": {"_index": "logs", "_id": f"doc-{n}"}}, {"message": f"retry-{n}"})
        for n in range(25)
    )
    auth = base64.b64encode(f"{app.profile.slug}:{app.secret}".encode()).decode()
    headers = {"Authorization": f"Basic {auth}", "Content-Type": "application/x-ndjson"}
    async with httpx.AsyncClient(base_url=es.url) as client:
        for _ in range(2):
            response = await client.post("/_bulk", content=body, headers=headers)
            assert response.json()["errors"] is False
            await asyncio.sleep(0.01)  # a later millisecond: the attempts' events differ
    stamped = await es.apps.events(app, expect=50)
    assert len({event.time for event in stamped}) > 1
    sources = await es.sources(app, 25)
    assert sorted(source["message"] for source in sources) == sorted(
        f"retry-{n}" for n in range(25)
    )


@pytest.mark.parametrize(
    "credentials",
    [
        {"basic_auth": ("app", "wrong")},
        {"api_key": ("id", "wrong")},
        {"bearer_auth": "wrong"},
        {"headers": {"X-App-Secret": "wrong"}},
    ],
    ids=["basic", "api-key", "bearer", "x-app-secret"],
)
async def test_python_client_with_a_wrong_secret_is_refused(
    es: EsPath, credentials: dict[str, Any]
) -> None:
    client = AsyncElasticsearch(es.url, **credentials)
    try:
        with pytest.raises(AuthenticationException) as refused:
            await helpers.async_bulk(client, [{"_index": "logs", "message": "no"}])
    finally:
        await client.close()
    assert refused.value.meta.status == 401
    assert refused.value.error == "security_exception"


async def test_the_index_named_never_routes_to_another_app(es: EsPath) -> None:
    mine, theirs = await es.apps.register(), await es.apps.register()
    their_index = f"{theirs.profile.index_prefix}-2026.01.02"

    async def send(app: App, marker: str) -> None:
        client = AsyncElasticsearch(es.url, basic_auth=(theirs.profile.slug, app.secret))
        try:
            docs = [{"_index": their_index, "message": f"{marker}-{n}"} for n in range(5)]
            assert await helpers.async_bulk(client, docs, index=theirs.profile.slug) == (5, [])
        finally:
            await client.close()

    # My secret, their index, their slug as the user name: the logs are mine.
    await send(mine, "mine")
    events = await es.apps.events(mine, expect=5)
    assert sorted(event.record["message"] for event in events) == [f"mine-{n}" for n in range(5)]
    assert await es.apps.chunk_count(theirs) == 0
    # Their secret writes to them only.
    await send(theirs, "theirs")
    assert len(await es.apps.events(theirs, expect=5)) == 5
    assert len(await es.apps.events(mine, expect=5)) == 5
