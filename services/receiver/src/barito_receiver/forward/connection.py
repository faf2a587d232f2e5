"""One forward-protocol connection: read requests, write them, acknowledge them.

Requests are handled one at a time, in the order they arrive, so acks go back
in order and TCP itself holds a fast client back while Kafka is slow.

The ack ``{"ack": <chunk>}`` is written only once Kafka acknowledged the
request's events, so ``require_ack_response`` (fluentd, Fluent Bit) and
``RequestAck`` (fluent-logger-golang) mean at-least-once; the chunk id is the
request's idempotency key, so a resend after a lost ack is indexed once.

A refused request gets no ack and the connection is closed, with the reason
logged: the close is the only refusal a forward client understands (the
protocol has no error reply; fluent-logger-golang waits for an ack forever
otherwise, and then writes the request again). Over the rate (429) or while
Kafka does not acknowledge (503), the close waits the Retry-After the HTTP
answer would carry, because fluent-logger-golang resends at once and would
spend its 13 attempts in a few milliseconds.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import msgpack

from barito_common.app_registry import AppRegistry
from barito_common.chunk_codec import Event
from barito_common.errors import ApiError
from barito_common.installation_key import InstallationKey
from barito_common.schemas import AppProfile
from barito_receiver.decode_errors import BodyError
from barito_receiver.forward.apps import app_by_tag, refusal_of
from barito_receiver.forward.handshake import (
    Handshake,
    HandshakeRefused,
    forward_key,
    parse_ping,
)
from barito_receiver.forward.requests import ForwardRequest, decode_request, stream_unpacker
from barito_receiver.idempotency import request_id
from barito_receiver.ingest import Ingestor
from barito_receiver.settings import ReceiverSettings

__all__ = ["Connection", "ConnectionClosed", "ForwardContext", "ack"]

log = logging.getLogger(__name__)

READ_SIZE = 64 * 1024
TAG_FIELD = "tag"
# The stream may open with these only if it is JSON (fluentd's in_forward
# accepts JSON then); msgpack would read them as the integers 123 and 91.
_JSON_FIRST_BYTES = (b"{", b"[")
_RETRYABLE = (429, 503)
_ACK_PACKER = msgpack.Packer(use_bin_type=True, unicode_errors="surrogateescape")


@dataclass
class ForwardContext:
    """What every connection of a listener shares."""

    settings: ReceiverSettings
    registry: AppRegistry
    ingestor: Ingestor
    installation: InstallationKey | None
    server_hostname: str
    closing: bool = False
    """Set by the listener's stop: connections end after the request in hand."""


class ConnectionClosed(Exception):
    """Why the server ends a connection; ``str(err)`` is the logged reason."""

    def __init__(self, reason: str, *, app: str | None = None, pause_s: float = 0) -> None:
        super().__init__(reason)
        self.app = app
        self.pause_s = pause_s


def ack(chunk: str | bytes) -> bytes:
    """``{"ack": chunk}``, the chunk echoed byte for byte and as the same msgpack type.

    >>> ack("MTIzNA==\\n").hex(" ")
    '81 a3 61 63 6b a9 4d 54 49 7a 4e 41 3d 3d 0a'
    """
    return _ACK_PACKER.pack({"ack": chunk})  # type: ignore[no-any-return]


class Connection:
    """Serves one client; ``busy`` while a request is being written (stop waits for it)."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        context: ForwardContext,
        *,
        handshake: bool,
    ) -> None:
        self.reader, self.writer, self.context = reader, writer, context
        self.handshake = Handshake(context.server_hostname) if handshake else None
        self.app: AppProfile | None = None
        self.busy = False
        self.peer = str(writer.get_extra_info("peername"))

    async def run(self) -> None:
        """Serve until the client leaves or the server closes the connection."""
        closed: ConnectionClosed | None = None
        try:
            await self._serve()
        except ConnectionClosed as err:
            closed = err
        except (ConnectionError, OSError) as err:
            # Debug only: fluentd's transport heartbeat opens and drops a
            # connection every second.
            log.debug("A forward connection was lost.", extra=self._ctx(error=repr(err)))
        finally:
            await self._close(closed)

    async def _serve(self) -> None:
        settings = self.context.settings
        limit = settings.max_request_bytes
        # Room for one read past a value just under the limit; the limit itself
        # is checked on the bytes still waiting to form a value.
        unpacker = stream_unpacker(limit + READ_SIZE)
        # The bytes of the values not yet unpacked: a request's own bytes name
        # it for idempotency (with its chunk id).
        pending = bytearray()
        start = 0
        if self.handshake is not None:
            await self._send(self.handshake.helo())
        first = True
        while not self.context.closing:
            self.busy = False
            try:
                async with asyncio.timeout(settings.forward_idle_timeout_s):
                    data = await self.reader.read(READ_SIZE)
            except TimeoutError:
                log.info("A forward connection was idle; closed.", extra=self._ctx())
                return
            if not data:
                return
            if first and data[:1] in _JSON_FIRST_BYTES:
                raise ConnectionClosed(
                    "the stream starts like JSON; this receiver speaks the forward protocol "
                    "in msgpack only"
                )
            first = False
            unpacker.feed(data)
            pending += data
            self.busy = True
            while True:
                try:
                    value = unpacker.unpack()
                except msgpack.OutOfData:
                    break
                except (ValueError, msgpack.UnpackException) as err:
                    raise ConnectionClosed(f"the stream is not valid msgpack: {err!s:.80}") from err
                end = unpacker.tell()
                raw = bytes(pending[: end - start])
                del pending[: end - start]
                start = end
                if len(raw) > limit:
                    raise ConnectionClosed(f"a request of {len(raw)} bytes is over the limit")
                await self._handle(value, raw)
            if len(pending) > limit:  # a value still incomplete, already too big
                raise ConnectionClosed(f"a request is over the limit of {limit} bytes")

    async def _handle(self, value: Any, raw: bytes) -> None:
        if self.handshake is not None and self.app is None:
            await self._answer_ping(self.handshake, value)
            return
        # A bare nil is a client's heartbeat; other values that are not arrays
        # carry nothing the protocol defines.
        if type(value) is not list:
            return
        settings = self.context.settings
        try:
            request = decode_request(
                value,
                max_events=settings.max_events_per_request,
                max_bytes=settings.max_request_bytes,
                max_ratio=settings.max_compression_ratio,
            )
        except BodyError as err:
            raise ConnectionClosed(f"a request was refused ({err.status}): {err}") from err
        app, tag = self._app_and_tag(request)
        if tag:
            for event in request.events:
                # A record's own "tag" field is the sender's data: it is kept.
                event.record.setdefault(TAG_FIELD, tag)
        if request.events:
            await self._write(app, request, raw)
        if request.chunk is not None:
            await self._send(ack(request.chunk))

    def _app_and_tag(self, request: ForwardRequest) -> tuple[AppProfile, str]:
        if self.app is not None:  # the handshake decided the app
            return self._handshaken_app(self.app), request.tag
        settings = self.context.settings
        try:
            return app_by_tag(
                self.context.registry, request.tag, retry_after_s=settings.retry_after_s
            )
        except ApiError as err:
            raise ConnectionClosed(
                f"the tag's app secret was refused ({err.status}): {err.message}",
                pause_s=_pause(err),
            ) from err

    def _handshaken_app(self, app: AppProfile) -> AppProfile:
        """The app's profile now: a deactivation or a new forward key ends the session."""
        current = self.context.registry.by_slug(app.slug)
        if current is None or current.app_id != app.app_id:
            raise ConnectionClosed("the app of this handshake no longer exists", app=app.slug)
        refused = refusal_of(current)
        if refused is not None:
            raise ConnectionClosed(refused, app=app.slug)
        if current.forward_key_sealed != app.forward_key_sealed:
            raise ConnectionClosed(
                "the app's forward key changed since the handshake; the client must "
                "handshake again",
                app=app.slug,
            )
        return current

    async def _write(self, app: AppProfile, request: ForwardRequest, raw: bytes) -> None:
        events: list[Event] = request.events
        key = None
        if request.chunk is not None:
            # The chunk id with the request's bytes: a resend after a lost ack is
            # the same request; an id reused for other logs is not.
            chunk = (
                request.chunk
                if isinstance(request.chunk, bytes)
                else request.chunk.encode("utf-8", "surrogateescape")
            )
            key = request_id(base64.b64encode(chunk).decode("ascii"), raw)
        try:
            await self.context.ingestor.accept_events(
                app, events, raw_bytes=request.size or len(raw), request=key
            )
        except ApiError as err:
            raise ConnectionClosed(
                f"a request was refused ({err.status}): {err.message}",
                app=app.slug,
                pause_s=_pause(err),
            ) from err

    async def _answer_ping(self, handshake: Handshake, value: Any) -> None:
        try:
            ping = parse_ping(value)
            profile, key = forward_key(
                self.context.registry, self.context.installation, ping.username
            )
            mismatch = handshake.mismatch(ping, key)
            if mismatch is not None:
                raise HandshakeRefused(mismatch)
        except HandshakeRefused as err:
            await self._send(handshake.refusal(str(err)))
            raise ConnectionClosed(f"the handshake was refused: {err}") from err
        self.app = profile
        await self._send(handshake.pong(ping, key))
        log.info("A forward client completed the handshake.", extra=self._ctx(app=profile.slug))

    def hang_up(self) -> None:
        """End the connection from outside (the listener stopping): its read sees the end."""
        self.writer.transport.abort()

    async def _send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def _ctx(self, **more: Any) -> dict[str, Any]:
        return {"ctx": {"peer": self.peer, **more}}

    async def _close(self, closed: ConnectionClosed | None) -> None:
        if closed is not None:
            app = closed.app or (self.app.slug if self.app else None)
            log.warning(
                "A forward connection was closed.",
                extra=self._ctx(reason=str(closed), app=app),
            )
            self.context.ingestor.usage.errors.labels("forward").inc()
            if closed.pause_s:
                await asyncio.sleep(closed.pause_s)
        self.writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await self.writer.wait_closed()


def _pause(err: ApiError) -> float:
    if err.status not in _RETRYABLE:
        return 0
    try:
        return float((err.headers or {}).get("Retry-After", 1))
    except ValueError:
        return 1
