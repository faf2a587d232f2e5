"""The ingest endpoints: Barito's own and the original agents' drop-in paths."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from barito_common.errors import error_response
from barito_common.schemas import AppProfile
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


# The dependencies are async though they never await: FastAPI runs a plain
# ``def`` dependency in its thread pool, a hand-off per dependency per request
# that cost the hot path about an eighth of its events per CPU-second.
async def _ingestor(request: Request) -> Ingestor:
    ingestor: Ingestor = request.app.state.ingestor
    return ingestor


async def _app(request: Request) -> AppProfile:
    state = request.app.state
    return authenticate(state.registry, request.headers, retry_after_s=state.settings.retry_after_s)


async def _idempotency_key(
    header: Annotated[
        str | None,
        Header(
            alias=idempotency.HEADER,
            description=(
                "Names the request: sent again with the same key and body, "
                "its events are indexed once."
            ),
        ),
    ] = None,
    query: Annotated[
        str | None,
        Query(
            alias=idempotency.QUERY,
            description=f"The same as the {idempotency.HEADER} header, for agents "
            "that can template only their URL.",
        ),
    ] = None,
) -> str | None:
    return idempotency.idempotency_key(header, query)


IngestorDep = Annotated[Ingestor, Depends(_ingestor)]
AppDep = Annotated[AppProfile, Depends(_app)]
KeyDep = Annotated[str | None, Depends(_idempotency_key)]


async def _ingest(
    request: Request, ingestor: Ingestor, app: AppProfile, key: str | None
) -> Accepted:
    body = await read_body(request, ingestor.settings.max_request_bytes)
    accepted = await ingestor.ingest(
        app,
        body,
        content_type=request.headers.get("content-type"),
        content_encoding=request.headers.get("content-encoding"),
        idempotency_key=key,
    )
    return Accepted(accepted=accepted)


@router.post("/api/v1/logs", response_model=Accepted, responses=RESPONSES)
async def post_logs(request: Request, ingestor: IngestorDep, app: AppDep, key: KeyDep) -> Accepted:
    """Ingest a batch: JSON object or array, NDJSON, concatenated JSON, msgpack; gzip/zstd."""
    return await _ingest(request, ingestor, app, key)


@router.post("/produce_batch", response_model=Accepted, responses=RESPONSES)
async def produce_batch(
    request: Request, ingestor: IngestorDep, app: AppDep, key: KeyDep
) -> Accepted:
    """Drop-in for the original Barito agents: a `{"items": [...]}` batch."""
    return await _ingest(request, ingestor, app, key)


@router.post("/produce", response_model=Accepted, responses=RESPONSES)
async def produce(request: Request, ingestor: IngestorDep, app: AppDep, key: KeyDep) -> Accepted:
    """Drop-in for the original Barito agents: one event."""
    return await _ingest(request, ingestor, app, key)
