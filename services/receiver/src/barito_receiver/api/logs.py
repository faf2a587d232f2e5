"""The ingest endpoints: Barito's own and the original agents' drop-in paths."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from barito_common.errors import error_response
from barito_receiver import idempotency
from barito_receiver.auth import authenticate
from barito_receiver.ingest import Ingestor
from barito_receiver.request_body import read_body

__all__ = ["router"]

router = APIRouter(tags=["ingest"])


class Accepted(BaseModel):
    accepted: int = Field(description="Events acknowledged by Kafka.")


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: error_response(
        "Malformed body, an event that is not an object, or an unusable idempotency key; "
        "nothing was written."
    ),
    401: error_response("No secret, or an unknown one."),
    403: error_response(
        "The app is inactive or deleted, or its slug is reserved (code reserved_name): "
        "register it again under another name."
    ),
    409: error_response(
        "X-App-Name is the display name of two active apps of the group; send the slug."
    ),
    413: error_response("Body, event or decompression ratio over the limit."),
    415: error_response("Unsupported Content-Type or Content-Encoding."),
    429: error_response("Over the app's events/s; see Retry-After."),
    503: error_response("Kafka did not acknowledge; see Retry-After."),
}


# The routes read the app, the ingestor and the key from the request
# themselves instead of through FastAPI dependencies: resolving those took a
# fifth of a small request's CPU (py-spy), paid on every request an agent
# sends. The key's header and query parameter are documented here instead.
_KEY_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": idempotency.HEADER,
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": (
            "Names the request: sent again with the same key and body, its events are indexed once."
        ),
    },
    {
        "name": idempotency.QUERY,
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": f"The same as the {idempotency.HEADER} header, for agents "
        "that can template only their URL.",
    },
]


async def _ingest(request: Request) -> Accepted:
    state = request.app.state
    ingestor: Ingestor = state.ingestor
    # Checked in this order, as the clients were told before: the secret first.
    app = authenticate(state.registry, request.headers, retry_after_s=state.settings.retry_after_s)
    key = idempotency.idempotency_key(
        request.headers.get(idempotency.HEADER), request.query_params.get(idempotency.QUERY)
    )
    body = await read_body(request, ingestor.settings.max_request_bytes)
    accepted = await ingestor.ingest(
        app,
        body,
        content_type=request.headers.get("content-type"),
        content_encoding=request.headers.get("content-encoding"),
        idempotency_key=key,
    )
    return Accepted(accepted=accepted)


_ROUTE: dict[str, Any] = {
    "response_model": Accepted,
    "responses": RESPONSES,
    "openapi_extra": {"parameters": _KEY_PARAMETERS},
}


@router.post("/api/v1/logs", **_ROUTE)
async def post_logs(request: Request) -> Accepted:
    """Ingest a batch: JSON object or array, NDJSON, concatenated JSON, msgpack; gzip/zstd."""
    return await _ingest(request)


@router.post("/produce_batch", **_ROUTE)
async def produce_batch(request: Request) -> Accepted:
    """Drop-in for the original Barito agents: a `{"items": [...]}` batch."""
    return await _ingest(request)


@router.post("/produce", **_ROUTE)
async def produce(request: Request) -> Accepted:
    """Drop-in for the original Barito agents: one event."""
    return await _ingest(request)
