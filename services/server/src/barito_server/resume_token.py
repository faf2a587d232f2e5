"""The resume token: where, in every partition of an app's topic, a tail continues.

A Kafka record holds a chunk of many events, so an event's address is
(partition, offset, index in the chunk). A token names, for every partition,
the position just past the last event the client was given: the record's
offset and the index of the next event in it. Resuming from it delivers the
rest of a partly delivered chunk and nothing before, so no event is repeated
or skipped across a reconnect.

The token is opaque to clients: URL-safe base64 of ``1|<app>|p:o:i,...``.
The version lets the format change; the app name stops a token of one app
from being replayed against another's topic. Building it is an f-string and
a base64 call, because one is built for every frame of every client.

Example::

    token = encode_token("checkout", {0: Position(120, 3)})
    decode_token(token, app="checkout")   # {0: Position(120, 3)}
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import NamedTuple

__all__ = [
    "BadResumeToken",
    "Position",
    "decode_token",
    "encode_token",
    "token_parts",
    "wrap_token",
]

_VERSION = "1"
_MAX_TOKEN_CHARS = 8192


class BadResumeToken(ValueError):
    """A resume token that is malformed, of another version or of another app."""


class Position(NamedTuple):
    """The next event to deliver in one partition: record ``offset``, event ``event`` within it."""

    offset: int
    event: int


def token_parts(positions: Mapping[int, Position]) -> dict[int, str]:
    """Each partition's piece of a token, so callers can replace one and re-join."""
    return {p: f"{p}:{pos.offset}:{pos.event}" for p, pos in positions.items()}


def wrap_token(app: str, body: str) -> str:
    """The token for ``body``, the partition pieces joined by commas in partition order."""
    raw = f"{_VERSION}|{app}|{body}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def encode_token(app: str, positions: Mapping[int, Position]) -> str:
    parts = token_parts(positions)
    return wrap_token(app, ",".join(parts[p] for p in sorted(parts)))


def decode_token(token: str, *, app: str) -> dict[int, Position]:
    """The positions in ``token``; :class:`BadResumeToken` says what is wrong with it."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        raise BadResumeToken("the resume token is empty or too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, ValueError) as err:
        raise BadResumeToken("the resume token is not one this server issued") from err
    version, _, rest = raw.partition("|")
    token_app, _, body = rest.partition("|")
    if version != _VERSION:
        raise BadResumeToken("the resume token is not one this server issued")
    if token_app != app:
        raise BadResumeToken(f"the resume token belongs to another app, not '{app}'")
    positions: dict[int, Position] = {}
    for piece in filter(None, body.split(",")):
        fields = piece.split(":")
        if len(fields) != 3 or not all(f.isdigit() for f in fields):
            raise BadResumeToken("the resume token is not one this server issued")
        partition, offset, index = (int(f) for f in fields)
        positions[partition] = Position(offset, index)
    if not positions:
        raise BadResumeToken("the resume token names no partition")
    return positions
