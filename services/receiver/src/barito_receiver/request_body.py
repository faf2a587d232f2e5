"""Reading an HTTP request's body under the receiver's size limit, for every ingest route."""

from __future__ import annotations

from starlette.requests import Request

from barito_common.errors import ApiError

__all__ = ["read_body"]


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as the declared or streamed size passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"Body of {declared} bytes is over the limit of {limit} bytes.")
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            raise ApiError(413, f"Body is over the limit of {limit} bytes.")
    return bytes(body)
