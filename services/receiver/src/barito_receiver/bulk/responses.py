"""Elasticsearch's answers, in the shapes and byte order its clients read.

Clients read more than the status: Vector finds failures by matching the
substring ``"errors":true``, Fluent Bit falls back to matching
``"errors":false,"items":[`` when a reply overflows its buffer, and the
official Python client refuses any 2xx reply without ``X-Elastic-Product:
Elasticsearch``. So every body is compact JSON with its keys in Elasticsearch's
order, and :mod:`~barito_receiver.bulk.route` puts the product header on
every answer.

Exceptions::

    Exception
    └── ElasticError      a whole-request error: .status, .type, .reason, .headers

    >>> error_body(400, "illegal_argument_exception", "bad line")["error"]["root_cause"]
    [{'type': 'illegal_argument_exception', 'reason': 'bad line'}]
    >>> bulk_body(3, [ItemResult("create", "logs", "a1", 201)])[:36]
    b'{"took":3,"errors":false,"items":[{"'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from starlette.responses import Response

from barito_common.errors import ApiError

__all__ = [
    "PRODUCT_HEADER",
    "WWW_AUTHENTICATE",
    "ElasticError",
    "ItemError",
    "ItemResult",
    "bulk_body",
    "error_body",
    "error_response",
    "from_api_error",
    "json_response",
]

PRODUCT_HEADER = ("X-Elastic-Product", "Elasticsearch")
WWW_AUTHENTICATE = ('Basic realm="security", charset="UTF-8"', "ApiKey")
"""What Elasticsearch with security on answers a 401 with: one header per scheme it takes."""

# Barito's own statuses, as the exception types Elasticsearch names for them.
# 429 is the type every client retries on; the others have no ES counterpart
# closer than its generic status exception.
_TYPES = {
    400: "illegal_argument_exception",
    401: "security_exception",
    403: "security_exception",
    429: "es_rejected_execution_exception",
}
_SHARDS = {"total": 1, "successful": 1, "failed": 0}


class ElasticError(Exception):
    """A whole request refused, answered as ``{"error":{...},"status":...}``."""

    def __init__(
        self,
        status: int,
        type_: str,
        reason: str,
        *,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.type = type_
        self.reason = reason
        self.headers = headers or []


@dataclass(frozen=True)
class ItemError:
    """Why one bulk item was not written; the rest of the request still is."""

    status: int
    type: str
    reason: str


class ItemResult(NamedTuple):
    """One entry of a bulk reply's ``items``, keyed by the action's op."""

    op: str
    # Shadows tuple.index(), which no caller needs; the name is the action's "_index".
    index: str  # type: ignore[assignment]
    id: str
    status: int
    error: ItemError | None = None
    version: int = 1

    def as_json(self) -> dict[str, Any]:
        if self.error is not None:
            failed = {"type": self.error.type, "reason": self.error.reason}
            entry = {"_index": self.index, "_id": self.id, "status": self.status, "error": failed}
        else:
            entry = {
                "_index": self.index,
                "_id": self.id,
                "_version": self.version,
                "result": "created" if self.status == 201 else "updated",
                "_shards": _SHARDS,
                "_seq_no": self.version - 1,
                "_primary_term": 1,
                "status": self.status,
            }
        return {self.op: entry}


def error_body(status: int, type_: str, reason: str) -> dict[str, Any]:
    cause = {"type": type_, "reason": reason}
    return {"error": {"root_cause": [cause], **cause}, "status": status}


def error_response(err: ElasticError) -> Response:
    response = json_response(error_body(err.status, err.type, err.reason), status=err.status)
    for name, value in err.headers:
        response.headers.append(name, value)
    return response


def from_api_error(err: ApiError) -> ElasticError:
    """Barito's own refusal (auth, rate, Kafka, body limits) in Elasticsearch's shape."""
    headers = list((err.headers or {}).items())
    if err.status == 401:
        headers += [("WWW-Authenticate", scheme) for scheme in WWW_AUTHENTICATE]
    type_ = _TYPES.get(err.status, "status_exception")
    return ElasticError(err.status, type_, err.message, headers=headers)


def json_response(body: dict[str, Any], *, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def bulk_body(took_ms: int, items: list[ItemResult]) -> bytes:
    """``{"took":..,"errors":..,"items":[..]}``: compact, keys in that order (see above)."""
    errors = any(item.error is not None for item in items)
    return orjson.dumps(
        {"took": took_ms, "errors": errors, "items": [item.as_json() for item in items]}
    )
