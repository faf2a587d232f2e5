"""A forward-protocol client written from the spec, byte for byte, for tests.

Not a real agent (no fluentd or Fluent Bit is installable here): it does what
the Forward Protocol Specification v1 says a client does, so the handshake
and the byte-level cases (ack echo, refusals) can be driven exactly.
Real clients (fluent-logger-python, fluent-logger-golang) are used wherever
they can express the case.

    async with spec_forward_client(port) as client:
        await client.send(["tag", 1700000000, {"msg": "a"}, {"chunk": "id"}])
        assert await client.read() == {"ack": "id"}
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import msgpack

__all__ = ["SpecForwardClient", "ping", "spec_forward_client"]


def _sha512_hex(*parts: bytes) -> str:
    return hashlib.sha512(b"".join(parts)).hexdigest()


class SpecForwardClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.unpacker = msgpack.Unpacker(raw=False, unicode_errors="surrogateescape")

    async def send(self, value: Any) -> None:
        await self.send_raw(msgpack.packb(value, use_bin_type=True))

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read(self, timeout_s: float = 30) -> Any:
        """The next value the server sends; ``EOFError`` when it closed the connection."""
        async with asyncio.timeout(timeout_s):
            while True:
                try:
                    return self.unpacker.unpack()
                except msgpack.OutOfData:
                    pass
                data = await self.reader.read(65536)
                if not data:
                    raise EOFError("the server closed the connection")
                self.unpacker.feed(data)

    async def closed_by_server(self, timeout_s: float = 30) -> bool:
        """Whether the server closes the connection without sending anything first."""
        try:
            value = await self.read(timeout_s)
        except (EOFError, ConnectionResetError):
            return True
        raise AssertionError(f"the server sent {value!r} instead of closing")

    async def handshake(
        self,
        *,
        username: str,
        shared_key: str,
        password: str,
        hostname: bytes = b"client.example",
        salt: bytes | None = None,
    ) -> list[Any]:
        """Read HELO, answer PING, return the PONG after checking its digest when it says yes."""
        helo = await self.read()
        assert helo[0] == "HELO", helo
        options = helo[1]
        salt = os.urandom(16).hex().encode() if salt is None else salt
        await self.send_raw(
            ping(
                options,
                hostname=hostname,
                salt=salt,
                username=username,
                shared_key=shared_key,
                password=password,
            )
        )
        pong = await self.read()
        assert pong[0] == "PONG", pong
        if pong[1] is True:
            nonce = _bytes(options["nonce"])
            server_host = pong[3].encode("utf-8", "surrogateescape")
            assert pong[4] == _sha512_hex(salt, server_host, nonce, shared_key.encode())
        return list(pong)


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")


def ping(
    helo_options: dict[str, Any],
    *,
    hostname: bytes,
    salt: bytes,
    username: str,
    shared_key: str,
    password: str,
) -> bytes:
    """The PING for a HELO's options, packed as Fluent Bit does (str values, raw salt)."""
    nonce = _bytes(helo_options["nonce"])
    auth = _bytes(helo_options.get("auth", b""))
    shared_digest = _sha512_hex(salt, hostname, nonce, shared_key.encode())
    password_digest = _sha512_hex(auth, username.encode(), password.encode()) if auth else ""
    packer = msgpack.Packer(use_bin_type=False)  # every bytes value as str, as Fluent Bit
    return packer.pack(  # type: ignore[no-any-return]
        [
            "PING",
            hostname,
            salt,
            shared_digest,
            username if auth else "",
            password_digest,
        ]
    )


@asynccontextmanager
async def spec_forward_client(
    port: int, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[SpecForwardClient]:
    reader, writer = await asyncio.open_connection(host, port, ssl=tls)
    try:
        yield SpecForwardClient(reader, writer)
    finally:
        writer.close()
        with suppress(ConnectionError, OSError):
            await writer.wait_closed()
