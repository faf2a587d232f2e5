"""The Elasticsearch-compatible routes over ASGI, with the real Ingestor up to Kafka.

No engine: the registry is a dictionary and the Ingestor's Kafka write is
replaced by a list, so these tests see exactly the chunks (and request ids)
that would be produced. The same routes against the real stack and real
clients are in test_bulk_clients.py.
"""

from __future__ import annotations

import base64
import gzip
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from barito_common.chunk_codec import Event, decode_chunk
from barito_common.errors import install_error_handlers
from barito_common.schemas import AppProfile, AppStatus, hash_secret
from barito_receiver.api import bulk
from barito_receiver.ingest import Ingestor
from barito_receiver.main import create_app
from barito_receiver.settings import ReceiverSettings
from barito_receiver.token_bucket import RateLimiter
from barito_receiver.usage import UsageMeter

SECRET = "s3cret-of-shop"
OTHER_SECRET = "s3cret-of-other"
INACTIVE_SECRET = "s3cret-of-gone"


def profile(slug: str, secret: str, **changes: Any) -> AppProfile:
    return AppProfile(
        app_id=str(uuid.uuid4()),
        slug=slug,
        name=slug,
        group_id="g1",
        group_slug="group-one",
        status=AppStatus.ACTIVE,
        secret_hashes=[hash_secret(secret)],
        tps=1000,
        topic=f"barito.logs.{slug}",
        index_prefix=f"barito-{slug}",
        retention_days=7,
        capacity="small",
        updated_at=datetime.now(UTC),
    ).model_copy(update=changes)


@dataclass
class Registry:
    apps: dict[str, AppProfile]
    loaded: bool = True

    def by_secret(self, secret: str) -> AppProfile | None:
        return self.apps.get(secret)

    def by_group_secret(self, group_secret: str, app_name: str) -> AppProfile | None:
        return None


@dataclass
class Written:
    topic: str
    events: list[Event]
    request: str | None


@dataclass
class RecordingIngestor(Ingestor):
    written: list[Written] = field(default_factory=list)

    async def _produce(self, app: AppProfile, chunks: list[bytes], request: str | None) -> None:
        for chunk in chunks:
            self.written.append(Written(app.topic, decode_chunk(chunk), request))


@dataclass
class Api:
    client: httpx.AsyncClient
    ingestor: RecordingIngestor
    shop: AppProfile
    other: AppProfile

    @property
    def events(self) -> list[Event]:
        return [event for written in self.ingestor.written for event in written.events]


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    settings = ReceiverSettings(max_request_bytes=64 * 1024, max_compression_ratio=50)
    ingestor = RecordingIngestor(
        settings=settings,
        producers=None,  # type: ignore[arg-type]  # _produce is replaced
        limiter=RateLimiter(burst_seconds=1.0),
        usage=UsageMeter(CollectorRegistry()),
    )
    shop, other = profile("shop", SECRET), profile("other", OTHER_SECRET, tps=1)
    gone = profile("gone", INACTIVE_SECRET, status=AppStatus.INACTIVE)
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(bulk.router)
    app.state.settings = settings
    app.state.ingestor = ingestor
    app.state.registry = Registry({SECRET: shop, OTHER_SECRET: other, INACTIVE_SECRET: gone})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
        yield Api(client, ingestor, shop, other)


def basic(secret: str, user: str = "shop") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def api_key(secret: str) -> dict[str, str]:
    return {"Authorization": "ApiKey " + base64.b64encode(f"key-id:{secret}".encode()).decode()}


NDJSON = {"Content-Type": "application/x-ndjson"}


def ndjson(*values: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(value) + b"\n" for value in values)


def assert_es_error(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["X-Elastic-Product"] == "Elasticsearch"
    body = response.json()
    assert body["status"] == status
    assert body["error"]["type"] == type_
    assert body["error"]["root_cause"] == [{"type": type_, "reason": body["error"]["reason"]}]
    return body


async def test_root_answers_what_clients_check_with_the_product_header(api: Api) -> None:
    response = await api.client.get("/", headers=basic(SECRET))
    assert response.status_code == 200
    assert response.headers["X-Elastic-Product"] == "Elasticsearch"
    assert response.headers["Content-Type"] == "application/json"
    info = response.json()
    assert info["version"]["number"].startswith("8.")
    assert info["version"]["build_flavor"] == "default"
    assert info["tagline"] == "You Know, for Search"
    head = await api.client.head("/", headers=basic(SECRET))
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["X-Elastic-Product"] == "Elasticsearch"


async def test_probes_agents_make_before_writing(api: Api) -> None:
    license_ = await api.client.get("/_license", headers=api_key(SECRET))
    assert license_.json()["license"]["status"] == "active"
    health = await api.client.get("/_cluster/health", headers=api_key(SECRET))
    assert health.json()["status"] == "green"
    cat = await api.client.get("/_cat/health", headers=api_key(SECRET))
    assert cat.status_code == 200 and " green " in cat.text
    template = await api.client.head("/_index_template/filebeat", headers=basic(SECRET))
    assert template.status_code == 404
    put = await api.client.put("/_index_template/filebeat", json={}, headers=basic(SECRET))
    assert put.json() == {"acknowledged": True}
    search = await api.client.get("/_search", headers=basic(SECRET))
    body = assert_es_error(search, 400, "illegal_argument_exception")
    assert "[GET /_search] is not supported" in body["error"]["reason"]
    mapping = await api.client.get("/web-logs/_mapping", headers=basic(SECRET))
    assert_es_error(mapping, 400, "illegal_argument_exception")


@pytest.mark.parametrize(
    "headers",
    [
        basic("wrong"),
        api_key("wrong"),
        {"X-App-Secret": "wrong"},
        {"Authorization": "Bearer wrong"},
        {},
    ],
    ids=["basic", "api-key", "x-app-secret", "bearer", "none"],
)
async def test_wrong_secret_is_401_security_exception_for_every_form(
    api: Api, headers: dict[str, str]
) -> None:
    body = ndjson({"create": {}}, {"m": 1})
    probe = await api.client.get("/", headers=headers)
    write = await api.client.post("/_bulk", content=body, headers={**headers, **NDJSON})
    for response in (probe, write):
        assert_es_error(response, 401, "security_exception")
        assert response.headers.get_list("WWW-Authenticate") == [
            'Basic realm="security", charset="UTF-8"',
            "ApiKey",
        ]
    assert api.events == []


async def test_inactive_app_is_403(api: Api) -> None:
    response = await api.client.post(
        "/_bulk", content=ndjson({"create": {}}, {"m": 1}), headers=basic(INACTIVE_SECRET)
    )
    assert_es_error(response, 403, "security_exception")


async def test_good_items_are_written_and_each_bad_one_fails_alone(api: Api) -> None:
    body = (
        ndjson(
            {"create": {"_index": "web-logs"}},
            {"@timestamp": "2023-11-14T22:13:20.500Z", "message": "one"},
        )
        + b'{"create":{"_index":"web-logs"}}\n{"message": broken\n'
        + ndjson(
            {"delete": {"_index": "web-logs", "_id": "x"}},
            {"index": {}},
            {"message": "two", "level": "info"},
        )
    )
    response = await api.client.post("/web-logs/_bulk", content=body, headers=basic(SECRET))
    assert response.status_code == 200
    assert response.headers["X-Elastic-Product"] == "Elasticsearch"
    assert response.content.startswith(b'{"took":')
    reply = response.json()
    assert reply["errors"] is True
    statuses = [next(iter(item.items())) for item in reply["items"]]
    assert [(op, item["status"]) for op, item in statuses] == [
        ("create", 201),
        ("create", 400),
        ("delete", 400),
        ("index", 201),
    ]
    assert statuses[1][1]["error"]["type"] == "document_parsing_exception"
    assert "append-only" in statuses[2][1]["error"]["reason"]
    assert [item["_index"] for _, item in statuses] == ["web-logs"] * 4
    assert [event.record for event in api.events] == [
        {"@timestamp": "2023-11-14T22:13:20.500Z", "message": "one"},
        {"message": "two", "level": "info"},
    ]
    assert api.events[0].time == "2023-11-14T22:13:20.500Z"
    assert {written.topic for written in api.ingestor.written} == {api.shop.topic}


async def test_broken_action_line_fails_the_request_and_writes_nothing(api: Api) -> None:
    body = ndjson({"create": {}}, {"m": 1}) + b'{"create":\n{"m":2}\n'
    response = await api.client.post("/_bulk", content=body, headers=basic(SECRET))
    body_json = assert_es_error(response, 400, "x_content_parse_exception")
    assert "line [3]" in body_json["error"]["reason"]
    missing_newline = await api.client.post(
        "/_bulk", content=ndjson({"create": {}}, {"m": 1})[:-1], headers=basic(SECRET)
    )
    assert_es_error(missing_newline, 400, "illegal_argument_exception")
    assert api.events == []


async def test_index_named_in_request_never_routes_to_another_app(api: Api) -> None:
    body = ndjson(
        {"create": {"_index": api.other.index_prefix}},
        {"m": "mine"},
        {"create": {"_index": api.other.topic}},
        {"m": "mine too"},
    )
    response = await api.client.post(
        f"/{api.other.index_prefix}/_bulk", content=body, headers=api_key(SECRET)
    )
    assert response.json()["errors"] is False
    assert {written.topic for written in api.ingestor.written} == {api.shop.topic}


async def test_gzip_body_is_accepted_and_a_bomb_or_oversize_is_413(api: Api) -> None:
    body = ndjson({"create": {}}, {"message": "zipped"})
    headers = {**basic(SECRET), "Content-Encoding": "gzip", **NDJSON}
    response = await api.client.post("/_bulk", content=gzip.compress(body), headers=headers)
    assert response.json()["errors"] is False
    assert [event.record for event in api.events] == [{"message": "zipped"}]

    bomb = gzip.compress(ndjson({"create": {}}, {"m": "a" * 1_000_000}))
    assert_es_error(
        await api.client.post("/_bulk", content=bomb, headers=headers), 413, "status_exception"
    )
    huge = ndjson({"create": {}}, {"m": "a" * 70_000})
    over = await api.client.post("/_bulk", content=huge, headers=basic(SECRET))
    assert_es_error(over, 413, "status_exception")
    brotli = await api.client.post(
        "/_bulk", content=body, headers={**basic(SECRET), "Content-Encoding": "br"}
    )
    assert_es_error(brotli, 415, "status_exception")
    assert len(api.events) == 1


async def test_same_ids_sent_again_carry_the_same_request_id(api: Api) -> None:
    body = ndjson({"index": {"_id": "a"}}, {"m": "untimed"}, {"create": {"_id": "b"}}, {"m": 2})
    for _ in range(2):
        response = await api.client.post("/_bulk", content=body, headers=basic(SECRET))
        assert [
            item["index" if "index" in item else "create"]["_id"]
            for item in response.json()["items"]
        ] == ["a", "b"]
    first, second = api.ingestor.written
    assert first.request is not None and first.request == second.request
    # Without ids, nothing names the request: identical untimed logs sent twice are two logs.
    unnamed = ndjson({"index": {}}, {"m": "untimed"})
    await api.client.post("/_bulk", content=unnamed, headers=basic(SECRET))
    assert api.ingestor.written[-1].request is None


async def test_repeated_id_within_a_request_is_answered_as_elasticsearch_does(api: Api) -> None:
    body = ndjson(
        {"create": {"_id": "a"}},
        {"m": 1},
        {"create": {"_id": "a"}},
        {"m": 2},
        {"index": {"_id": "a"}},
        {"m": 3},
    )
    reply = (await api.client.post("/_bulk", content=body, headers=basic(SECRET))).json()
    first, conflict, replaced = (next(iter(item.values())) for item in reply["items"])
    assert (first["status"], conflict["status"], replaced["status"]) == (201, 409, 200)
    assert conflict["error"]["type"] == "version_conflict_engine_exception"
    assert (replaced["result"], replaced["_version"]) == ("updated", 2)
    assert [event.record for event in api.events] == [{"m": 3}]


async def test_over_rate_refuses_the_whole_request_with_429(api: Api) -> None:
    body = ndjson({"create": {}}, {"m": 1}, {"create": {}}, {"m": 2})
    first = await api.client.post("/_bulk", content=body, headers=basic(OTHER_SECRET))
    assert first.json()["errors"] is False
    response = await api.client.post("/_bulk", content=body, headers=basic(OTHER_SECRET))
    assert_es_error(response, 429, "es_rejected_execution_exception")
    assert int(response.headers["Retry-After"]) >= 1
    assert len(api.events) == 2


async def test_single_document_is_201_without_a_top_level_status(api: Api) -> None:
    response = await api.client.post(
        "/syslog/_doc", content=b'{"message":"one"}', headers=basic(SECRET)
    )
    assert response.status_code == 201
    reply = response.json()
    assert "status" not in reply and reply["result"] == "created"
    assert reply["_index"] == "syslog"
    bad = await api.client.post("/syslog/_doc", content=b"[]", headers=basic(SECRET))
    assert_es_error(bad, 400, "document_parsing_exception")
    named = await api.client.put("/syslog/_create/n1", content=b'{"m":1}', headers=basic(SECRET))
    assert named.json()["_id"] == "n1"
    assert [event.record for event in api.events] == [{"message": "one"}, {"m": 1}]
    # The id in the path names the request: the same body under another id is another log.
    other = await api.client.put("/syslog/_create/n2", content=b'{"m":1}', headers=basic(SECRET))
    assert other.status_code == 201
    named, renamed = api.ingestor.written[-2:]
    assert named.request is not None and renamed.request is not None
    assert named.request != renamed.request


def test_openapi_documents_the_elasticsearch_routes_once_each() -> None:
    paths = create_app(ReceiverSettings()).openapi()["paths"]
    assert set(paths["/_bulk"]) == {"post"}
    assert set(paths["/{index}/_create/{doc_id}"]) == {"put"}
    assert "/_{rest}" not in paths
