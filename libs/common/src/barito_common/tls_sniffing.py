"""One TLS port that tells a plain-HTTP client, in words it can read, to use https.

A service serving TLS itself (``BARITO_TLS_CERTFILE``) looks at the first byte
of each new connection before any TLS: ``0x16`` opens a TLS handshake, which
then goes on as usual (the standard library's TLS protocol with the reloading
certificate's context, so a renewed certificate still reaches new
connections). Anything else is a client speaking plain HTTP to the TLS port —
an agent configured with ``http://`` — and it gets ``400`` with Barito's JSON
error naming the fix, as nginx answers "The plain HTTP request was sent to
HTTPS port". Without this the client only sees its connection closed, which
agents log as a network failure and retry forever.

uvicorn takes the protocol class through its ``http`` setting::

    uvicorn.run(app, http=tls_sniffing_protocol(certificate.context))
"""

from __future__ import annotations

import asyncio
import json
import ssl
from asyncio.sslproto import SSLProtocol
from collections.abc import Callable
from typing import Any, cast

from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string

__all__ = ["PLAIN_HTTP_REFUSAL", "tls_sniffing_protocol"]


_TLS_HANDSHAKE = 0x16
# A client that connects and says nothing is dropped after this long, as
# uvicorn drops an idle keep-alive connection.
_FIRST_BYTE_TIMEOUT_S = 10.0
# The request head a plain-HTTP client sends before it gets its answer.
_MAX_PLAIN_HEAD = 16 * 1024

PLAIN_HTTP_REFUSAL = (
    "This port speaks HTTPS only and a plain-HTTP request reached it: "
    "use https:// in the client's URL."
)


def _plain_http_answer() -> bytes:
    body = json.dumps({"error": {"code": "tls_required", "message": PLAIN_HTTP_REFUSAL}}).encode()
    head = (
        "HTTP/1.1 400 Bad Request\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def tls_sniffing_protocol(context: Callable[[], ssl.SSLContext]) -> type[asyncio.Protocol]:
    """uvicorn's ``http`` protocol class: TLS from ``context()``, a 400 to plain HTTP."""
    inner_class: type[asyncio.Protocol] = import_from_string(HTTP_PROTOCOLS["auto"])

    class TlsSniffingProtocol(asyncio.Protocol):
        def __init__(self, **uvicorn_arguments: Any) -> None:
            self._arguments = uvicorn_arguments
            self._loop: asyncio.AbstractEventLoop = (
                uvicorn_arguments.get("_loop") or asyncio.get_running_loop()
            )
            self._transport: asyncio.Transport | None = None
            self._timer: asyncio.TimerHandle | None = None
            self._plain_head = b""

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            # A stream transport, though uvloop's do not subclass asyncio's.
            self._transport = cast(asyncio.Transport, transport)
            self._timer = self._loop.call_later(_FIRST_BYTE_TIMEOUT_S, self._transport.close)

        def data_received(self, data: bytes) -> None:
            transport = self._transport
            if transport is None:
                return
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self._plain_head and data[0] == _TLS_HANDSHAKE:
                self._hand_over_to_tls(transport, data)
                return
            self._plain_head += data
            if b"\r\n\r\n" in self._plain_head or len(self._plain_head) > _MAX_PLAIN_HEAD:
                self._refuse_plain_http()

        def _hand_over_to_tls(self, transport: asyncio.Transport, hello: bytes) -> None:
            # The standard library's TLS protocol, on whichever loop runs (asyncio
            # or uvloop), given the bytes already read: the start of the hello.
            # start_tls cannot be used, for it would wait for a hello already read.
            handshake: asyncio.Future[None] = self._loop.create_future()
            # A failed handshake (a client distrusting the certificate) is the
            # client's to report; taking the result keeps it out of the log.
            handshake.add_done_callback(lambda done: done.cancelled() or done.exception())
            tls = SSLProtocol(
                self._loop,
                inner_class(**self._arguments),
                context(),
                handshake,
                server_side=True,
                call_connection_made=True,
            )
            transport.set_protocol(tls)
            tls.connection_made(transport)
            view = memoryview(hello)
            while view:
                buffer = tls.get_buffer(len(view))
                size = min(len(buffer), len(view))
                buffer[:size] = view[:size]
                tls.buffer_updated(size)
                view = view[size:]

        def eof_received(self) -> bool | None:
            self._refuse_plain_http()
            return None

        def _refuse_plain_http(self) -> None:
            transport = self._transport
            if transport is None or transport.is_closing():
                return
            transport.write(_plain_http_answer())
            transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._timer is not None:
                self._timer.cancel()
            self._transport = None

    return TlsSniffingProtocol
