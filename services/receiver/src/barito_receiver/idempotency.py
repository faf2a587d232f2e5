"""A client's idempotency key, and the request id the flow deduplicates by.

A client that got a 503 (or lost the connection) cannot know whether Kafka took
its request, so it sends it again. Events that carry their own time make the
same chunks again, and the flow indexes them once by their content. Events
without a time are stamped on receipt, so the second attempt's chunks differ
and would be indexed twice, unless the client names its request: an
``Idempotency-Key`` header (draft-ietf-httpapi-idempotency-key-header), or the
``idempotency_key`` query parameter for agents that can template only their
URL (fluentd's ``out_http``: ``?idempotency_key=${chunk_id}``, stable across
its retries of one buffer chunk).

The request id hashes the key with the decompressed body, so a key reused by
mistake for different logs keeps both: nothing is dropped as a duplicate that
is not one.

    >>> idempotency_key('"8e03978e-40d5"', None)
    '8e03978e-40d5'
    >>> request_id("k", b"logs") == request_id("k", b"logs")
    True
    >>> request_id("k", b"logs") == request_id("k", b"other logs")
    False
"""

from __future__ import annotations

import base64
import hashlib

from barito_common.errors import ApiError

__all__ = ["HEADER", "MAX_KEY_CHARS", "QUERY", "idempotency_key", "request_id"]

HEADER = "Idempotency-Key"
QUERY = "idempotency_key"
MAX_KEY_CHARS = 255


def idempotency_key(header: str | None, query: str | None) -> str | None:
    """The request's key, from the header or the query; ``ApiError(400)`` when it is unusable.

    The header may be a structured-field string (quoted), as the draft writes it.
    """
    keys = {_unquoted(value) for value in (header, query) if value is not None}
    if not keys:
        return None
    if len(keys) > 1:
        raise ApiError(
            400, f"The {HEADER} header and the {QUERY} query parameter name different keys."
        )
    [key] = keys
    if not 0 < len(key) <= MAX_KEY_CHARS or not key.isascii() or not key.isprintable():
        raise ApiError(
            400,
            f"The idempotency key must be 1 to {MAX_KEY_CHARS} printable ASCII characters.",
        )
    return key


def request_id(key: str, body: bytes) -> str:
    """96 bits of BLAKE2b of the key and the decompressed body, URL-safe base64."""
    digest = hashlib.blake2b(digest_size=12, person=b"barito-request")
    digest.update(key.encode("ascii"))
    digest.update(b"\0")
    digest.update(body)
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii")


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value
