"""Load generators: HTTP requests from a few clients at once, and forward over a few connections.

Each returns the wall-clock seconds the whole load took and the latency of
every request (for forward: from writing a request to reading its ack). Any
answer but success stops the bench: a figure is only worth having if every
event was taken.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import msgpack

Check = Callable[[httpx.Response], str | None]
"""Why a 200 answer still is not a success, or None."""


async def drive_http(
    url: str,
    headers: dict[str, str],
    bodies: list[bytes],
    concurrency: int,
    *,
    keyed: bool = False,
    check: Check | None = None,
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
    for n, body in enumerate(bodies):
        queue.put_nowait((n, body))
    run = uuid.uuid4().hex

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n, body = queue.get_nowait()
            sent = {**headers, "Idempotency-Key": f"{run}-{n}"} if keyed else headers
            started = time.perf_counter()
            response = await client.post(url, content=body, headers=sent)
            latencies.append(time.perf_counter() - started)
            problem = (
                f"answered {response.status_code}"
                if response.status_code != 200
                else (check(response) if check else None)
            )
            if problem is not None:
                raise RuntimeError(f"{url}: {problem}: {response.text[:300]}")

    async with httpx.AsyncClient(timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies


async def drive_raw_http(
    url: str, headers: dict[str, str], bodies: list[bytes], connections: int
) -> tuple[float, list[float]]:
    """``drive_http``'s load over ``connections`` keep-alive connections, with requests
    built as bytes beforehand and answers read by their status line and length only.

    For benches where the load generator shares the machine with what it
    measures: httpx costs about 1.4 ms of CPU for a request of 1 MB (its
    body written in pieces, its answer parsed into objects), here about a
    tenth of that, left to the measured process.
    """
    split = urlsplit(url)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    requests = [
        f"POST {split.path} HTTP/1.1\r\nHost: {split.netloc}\r\n{head}"
        f"Content-Length: {len(body)}\r\n\r\n".encode("latin-1")
        + body
        for body in bodies
    ]
    latencies: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)

    loop = asyncio.get_running_loop()

    async def connection() -> None:
        # Plain sockets: sock_sendall sends from the request's own bytes, where a
        # stream's writer copies what the kernel does not take at once into its
        # buffer and moves the rest down after every send.
        sock = socket.create_connection((split.hostname, split.port))
        sock.setblocking(False)
        pending = b""
        try:
            while not queue.empty():
                request = queue.get_nowait()
                started = time.perf_counter()
                await loop.sock_sendall(sock, request)
                while b"\r\n\r\n" not in pending:
                    pending += await _received(loop, sock)
                head, _, pending = pending.partition(b"\r\n\r\n")
                status_line, _, fields = head.partition(b"\r\n")
                length = _content_length(fields)
                while len(pending) < length:
                    pending += await _received(loop, sock)
                answer, pending = pending[:length], pending[length:]
                latencies.append(time.perf_counter() - started)
                if status_line.split(b" ", 2)[1] != b"200":
                    raise RuntimeError(f"{url}: {status_line.decode()}: {answer[:300].decode()}")
        finally:
            sock.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return time.perf_counter() - started, latencies


async def _received(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    data = await loop.sock_recv(sock, 65536)
    if not data:
        raise RuntimeError("the receiver closed the connection")
    return data


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise RuntimeError(f"an answer without Content-Length: {head[:300]!r}")


async def drive_forward(
    host: str, port: int, requests: list[tuple[str, bytes]], connections: int, in_flight: int
) -> tuple[float, list[float]]:
    """Send ``(chunk, request)`` pairs over ``connections`` connections, each with at most
    ``in_flight`` requests not yet acknowledged (fluentd's out_forward pipelines likewise)."""
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        window = asyncio.Semaphore(in_flight)
        pending: asyncio.Queue[tuple[str, float] | None] = asyncio.Queue()

        async def read_acks() -> None:
            try:
                await match_acks()
            finally:
                # Unblocks the sender, which then sees this task done and stops.
                window.release()

        async def match_acks() -> None:
            unpacker = msgpack.Unpacker(raw=False)
            while (expected := await pending.get()) is not None:
                chunk, started = expected
                answer = next(unpacker, None)
                while answer is None:
                    data = await reader.read(65536)
                    if not data:
                        raise RuntimeError(f"forward: connection closed before the ack of {chunk}")
                    unpacker.feed(data)
                    answer = next(unpacker, None)
                if answer != {"ack": chunk}:
                    raise RuntimeError(f"forward: expected the ack of {chunk}, got {answer!r}")
                latencies.append(time.perf_counter() - started)
                window.release()

        acks = asyncio.create_task(read_acks())
        try:
            while not queue.empty():
                chunk, request = queue.get_nowait()
                await window.acquire()
                if acks.done():
                    break
                pending.put_nowait((chunk, time.perf_counter()))
                writer.write(request)
                await writer.drain()
            pending.put_nowait(None)
            await acks
        finally:
            acks.cancel()
            writer.close()
            await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return time.perf_counter() - started, latencies
