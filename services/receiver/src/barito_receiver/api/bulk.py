"""The Elasticsearch-compatible API: bulk and single-document writes, and what clients probe.

Agents configured for Elasticsearch (Filebeat, Logstash, Vector, Fluent Bit's
``es`` output, rsyslog's ``omelasticsearch``, the official clients' bulk
helpers) send their logs here unchanged. The app is the one the credentials'
secret names (:mod:`barito_receiver.bulk.credentials`); the index a request or
action names is echoed in the reply and never decides where logs go. Every
answer is Elasticsearch-shaped (:mod:`barito_receiver.bulk.route`).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import Response

from barito_receiver import idempotency
from barito_receiver.bulk import probe
from barito_receiver.bulk.credentials import authenticate_client
from barito_receiver.bulk.ndjson import BulkAction, parse_document
from barito_receiver.bulk.responses import ElasticError, bulk_body, json_response
from barito_receiver.bulk.route import ElasticRoute
from barito_receiver.bulk.writer import BulkWriter
from barito_receiver.request_body import read_body

__all__ = ["router"]

router = APIRouter(tags=["elasticsearch"], route_class=ElasticRoute)

_ES_ERROR = {
    "description": "Elasticsearch's error shape; 401/403 security_exception (wrong or inactive "
    "app secret), 429 es_rejected_execution_exception (over the app's rate, see Retry-After), "
    "413 over a size limit, 503 Kafka did not acknowledge (nothing written; retry).",
    "content": {
        "application/json": {
            "example": {
                "error": {
                    "root_cause": [{"type": "security_exception", "reason": "Unknown app secret."}],
                    "type": "security_exception",
                    "reason": "Unknown app secret.",
                },
                "status": 401,
            }
        }
    },
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: _ES_ERROR for status in (400, 401, 403, 413, 415, 429, 503)
}
_BULK_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One result per action, in order; `errors` is true when any failed.",
        "content": {
            "application/json": {
                "example": {
                    "took": 3,
                    "errors": False,
                    "items": [
                        {
                            "create": {
                                "_index": "logs",
                                "_id": "a1",
                                "result": "created",
                                "status": 201,
                            }
                        }
                    ],
                }
            }
        },
    }
}


async def _writer(request: Request) -> BulkWriter:
    state = request.app.state
    app = authenticate_client(
        state.registry,
        request.headers,
        path=request.url.path,
        retry_after_s=state.settings.retry_after_s,
    )
    return BulkWriter(state.ingestor, app)


async def _idempotency_key(
    header: Annotated[str | None, Header(alias=idempotency.HEADER)] = None,
    query: Annotated[str | None, Query(alias=idempotency.QUERY)] = None,
) -> str | None:
    return idempotency.idempotency_key(header, query)


WriterDep = Annotated[BulkWriter, Depends(_writer)]
KeyDep = Annotated[str | None, Depends(_idempotency_key)]


@router.get("/", response_model=None, responses=RESPONSES)
async def root(_: WriterDep) -> Response:
    """Elasticsearch's root: the version clients check (8.x) and the product name."""
    return json_response(probe.root_info())


@router.head("/", response_model=None, include_in_schema=False)
async def root_head(_: WriterDep) -> Response:
    """Logstash's health check: 200 with no body."""
    return Response(status_code=200)


@router.get("/_license", response_model=None, responses=RESPONSES)
async def license_(_: WriterDep) -> Response:
    """A basic, active licence: Logstash refuses a node without one."""
    return json_response(probe.license_info())


@router.get("/_cluster/health", response_model=None, responses=RESPONSES)
async def cluster_health(_: WriterDep) -> Response:
    """Green while the receiver answers (Vector's health check)."""
    return json_response(probe.cluster_health())


@router.get("/_cat/health", response_model=None, responses=RESPONSES)
async def cat_health(_: WriterDep) -> Response:
    """One text line, as `_cat` answers (rsyslog asks before resuming)."""
    return Response(probe.cat_health(), media_type="text/plain; charset=UTF-8")


async def _no_template(_: WriterDep, name: str) -> Response:
    """Barito holds no templates or policies: it manages each app's mappings and retention."""
    raise ElasticError(
        404,
        "resource_not_found_exception",
        f"[{name}] does not exist: Barito manages each app's mappings and retention itself",
    )


async def _template_acknowledged(_: WriterDep, name: str) -> Response:
    """Acknowledged so that agents' setup goes on; not applied (Barito manages mappings)."""
    return json_response({"acknowledged": True})


for _path in ("/_template/{name}", "/_index_template/{name}", "/_ilm/policy/{name}"):
    router.add_api_route(
        _path, _no_template, methods=["GET", "HEAD"], response_model=None, include_in_schema=False
    )
    router.add_api_route(
        _path,
        _template_acknowledged,
        methods=["PUT"],
        response_model=None,
        responses=RESPONSES,
    )


async def _bulk(
    request: Request, writer: BulkWriter, key: str | None, index: str | None
) -> Response:
    started = time.monotonic()
    body = await read_body(request, writer.ingestor.settings.max_request_bytes)
    raw = writer.decoded(body, request.headers.get("content-encoding"))
    actions = writer.actions(raw, default_index=index)
    items = await writer.write(actions, raw=raw, idempotency_key=key)
    took = int((time.monotonic() - started) * 1000)
    return Response(bulk_body(took, items), media_type="application/json")


@router.post("/_bulk", response_model=None, responses={**_BULK_OK, **RESPONSES})
@router.put("/_bulk", response_model=None, include_in_schema=False)
async def bulk(request: Request, writer: WriterDep, key: KeyDep) -> Response:
    """NDJSON `index`/`create` actions with their documents; `update`/`delete` refused per item."""
    return await _bulk(request, writer, key, None)


@router.post("/{index}/_bulk", response_model=None, responses={**_BULK_OK, **RESPONSES})
@router.put("/{index}/_bulk", response_model=None, include_in_schema=False)
async def bulk_in_index(request: Request, writer: WriterDep, key: KeyDep, index: str) -> Response:
    """The same as `/_bulk`; the index is only the default echoed for actions naming none."""
    return await _bulk(request, writer, key, index)


async def _one(
    request: Request, writer: BulkWriter, key: str | None, action: BulkAction
) -> Response:
    body = await read_body(request, writer.ingestor.settings.max_request_bytes)
    raw = writer.decoded(body, request.headers.get("content-encoding"))
    source, error = parse_document(raw, 1)
    if error is not None:
        writer.refused(1, "malformed")
        raise ElasticError(error.status, error.type, error.reason)
    # Named like the one-action bulk body it amounts to, so that the id in the
    # path is part of what a retry is recognised by.
    as_bulk = orjson.dumps({action.op: {"_index": action.index, "_id": action.id}}) + b"\n" + raw
    action = BulkAction(action.op, 1, action.index, action.id, source)
    [item] = await writer.write([action], raw=as_bulk, idempotency_key=key)
    result = item.as_json()[item.op]
    del result["status"]  # rsyslog counts a reply with a top-level "status" as a failure
    return json_response(result, status=item.status)


@router.post("/{index}/_doc", response_model=None, status_code=201, responses=RESPONSES)
async def index_document(request: Request, writer: WriterDep, key: KeyDep, index: str) -> Response:
    """One document (rsyslog's default, `bulkmode="off"`)."""
    return await _one(request, writer, key, BulkAction("index", 1, index, None))


@router.put("/{index}/_doc/{doc_id}", response_model=None, status_code=201, responses=RESPONSES)
@router.post("/{index}/_doc/{doc_id}", response_model=None, include_in_schema=False)
async def index_named_document(
    request: Request, writer: WriterDep, key: KeyDep, index: str, doc_id: str
) -> Response:
    """One document with its `_id`: sent again, it is indexed once."""
    return await _one(request, writer, key, BulkAction("index", 1, index, doc_id))


@router.put("/{index}/_create/{doc_id}", response_model=None, status_code=201, responses=RESPONSES)
@router.post("/{index}/_create/{doc_id}", response_model=None, include_in_schema=False)
async def create_document(
    request: Request, writer: WriterDep, key: KeyDep, index: str, doc_id: str
) -> Response:
    """The same as `_doc/{id}`, as `create`."""
    return await _one(request, writer, key, BulkAction("create", 1, index, doc_id))


@router.api_route(
    "/_{rest:path}",
    methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"],
    response_model=None,
    include_in_schema=False,
)
@router.api_route(
    "/{index}/_{rest:path}",
    methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"],
    response_model=None,
    include_in_schema=False,
)
async def unsupported(request: Request) -> Response:
    """Anything else of Elasticsearch's API: refused, saying what Barito takes."""
    raise ElasticError(
        400,
        "illegal_argument_exception",
        f"[{request.method} {request.url.path}] is not supported: Barito's "
        "Elasticsearch-compatible API takes logs only (_bulk, <index>/_doc, <index>/_create) "
        "and answers the probes agents make (/, _license, _cluster/health, _cat/health); "
        "search the logs in Barito",
    )
