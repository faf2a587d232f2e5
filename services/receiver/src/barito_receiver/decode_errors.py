"""Why a request body could not be turned into events, and which HTTP status says so.

Every error carries the status the client should get and a message written for
the person reading the agent's log: it names the first problem and never echoes
more than a short excerpt of the payload.

Exceptions::

    ValueError
    └── BodyError                 .status, .code; anything the decoding layer refuses
        ├── MalformedBody         400  corrupt JSON / msgpack / compressed data, no events
        │   └── InvalidEvent      400  one event is not an object (.index names it)
        ├── BodyTooLarge          413  over the size, ratio or event-count limit
        ├── UnsupportedEncoding   415  a Content-Encoding the receiver cannot undo
        └── UnsupportedMediaType  415  a Content-Type the receiver cannot parse

    >>> err = InvalidEvent(3, "is not a JSON object (got array)")
    >>> (err.status, err.index, str(err))
    (400, 3, 'event 3 is not a JSON object (got array)')
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BodyError",
    "BodyTooLarge",
    "InvalidEvent",
    "MalformedBody",
    "UnsupportedEncoding",
    "UnsupportedMediaType",
    "excerpt",
]

EXCERPT_CHARS = 80


class BodyError(ValueError):
    """Base of every error of the decoding layer; ``str(err)`` is the user-facing message."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    @property
    def message(self) -> str:
        return str(self)


class MalformedBody(BodyError):
    """The body cannot be decoded: corrupt or truncated data, or no events at all."""

    status = 400
    code = "malformed_body"


class InvalidEvent(MalformedBody):
    """The body decodes, but the event at ``index`` (0-based) is not acceptable."""

    code = "invalid_event"

    def __init__(self, index: int, problem: str) -> None:
        super().__init__(f"event {index} {problem}")
        self.index = index


class BodyTooLarge(BodyError):
    """The body, once decompressed, or its number of events is over a limit."""

    status = 413
    code = "payload_too_large"


class UnsupportedEncoding(BodyError):
    """The Content-Encoding is not one the receiver can undo."""

    status = 415
    code = "unsupported_encoding"


class UnsupportedMediaType(BodyError):
    """The Content-Type is not a format the receiver can parse."""

    status = 415
    code = "unsupported_media_type"


def excerpt(text: str | bytes, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable quotation of client-sent text for an error message."""
    if isinstance(text, bytes):
        text = text[: limit * 4].decode("utf-8", "replace")
    shown = repr(text[:limit])
    return shown + "…" if len(text) > limit else shown
