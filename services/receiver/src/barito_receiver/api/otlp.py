"""OTLP logs over HTTP: ``POST /v1/logs``, what OpenTelemetry SDKs and collectors send.

Every answer, errors included, is in the request's encoding (protobuf or
JSON), as OTLP requires and exporters read: an ``ExportLogsServiceResponse``
on 200, a ``google.rpc.Status`` otherwise (``barito_receiver.otlp.response``),
not the ``{"error": ...}`` body of Barito's own endpoints. A request in
neither encoding gets its 415 in JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from barito_common.errors import ApiError
from barito_receiver import idempotency
from barito_receiver.auth import authenticate
from barito_receiver.decode_errors import UnsupportedMediaType
from barito_receiver.ingest import Ingestor
from barito_receiver.otlp.decode import Encoding, encoding_of
from barito_receiver.otlp.ingest import ingest_export
from barito_receiver.otlp.response import export_answer, failure_answer
from barito_receiver.request_body import read_body

__all__ = ["router"]

router = APIRouter(tags=["ingest"])


def _answer_doc(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": f"{description} Body: {schema}, in the request's encoding.",
        "content": {Encoding.PROTOBUF.value: {}, Encoding.JSON.value: {}},
    }


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _answer_doc(
        "Taken; partialSuccess names the records refused (over the size of one event, or "
        "with fields that collide), which must not be sent again.",
        "opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse",
    ),
    **{
        status: _answer_doc(description, "google.rpc.Status")
        for status, description in {
            400: "Malformed protobuf or JSON, named; nothing was written. Not retryable.",
            401: "No secret, or an unknown one (Authorization: Bearer, or X-App-Secret).",
            403: "The app is inactive or deleted, or its slug is reserved.",
            409: "X-App-Name is the display name of two active apps of the group; send the slug.",
            413: "Body, decompression ratio or number of records over the limit.",
            415: "Content-Type other than application/x-protobuf or application/json, or an "
            "unsupported Content-Encoding.",
            429: "Over the app's events/s; retry after Retry-After.",
            503: "Kafka did not acknowledge; retry after Retry-After.",
        }.items()
    },
}


@router.post(
    "/v1/logs",
    response_class=Response,
    responses=RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {Encoding.PROTOBUF.value: {}, Encoding.JSON.value: {}},
            "description": "An ExportLogsServiceRequest; Content-Encoding gzip, deflate or zstd.",
        }
    },
)
async def export_logs(request: Request) -> Response:
    """OTLP/HTTP logs: one event per log record, protobuf or JSON, answered in kind."""
    headers = request.headers
    content_type = headers.get("content-type")
    unsupported: UnsupportedMediaType | None = None
    try:
        encoding = encoding_of(content_type)
    except UnsupportedMediaType as err:
        encoding, unsupported = Encoding.JSON, err
    state = request.app.state
    ingestor: Ingestor = state.ingestor
    try:
        # The secret is checked first, so that a caller without one learns
        # nothing else about the endpoint.
        app = authenticate(state.registry, headers, retry_after_s=state.settings.retry_after_s)
        if unsupported is not None:
            raise ApiError(unsupported.status, str(unsupported), code=unsupported.code)
        key = idempotency.idempotency_key(headers.get(idempotency.HEADER), None)
        body = await read_body(request, ingestor.settings.max_request_bytes)
        outcome = await ingest_export(
            ingestor,
            app,
            body,
            content_type=content_type,
            content_encoding=headers.get("content-encoding"),
            idempotency_key=key,
        )
    except ApiError as err:
        return failure_answer(encoding, err.status, err.message, code=err.code, headers=err.headers)
    return export_answer(encoding, rejected=len(outcome.refused), message=outcome.message)
