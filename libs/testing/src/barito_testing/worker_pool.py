"""A real service with several worker processes (``BARITO_WORKERS``), started as users start it.

The service runs as ``python -m barito_<service>.main``: its process is
uvicorn's supervisor and the workers are its children. :class:`WorkerPool`
names the workers now (their pids change when one is replaced) and, from
``/proc``, which of them holds the open connections to a port, so a test can
see that every worker takes its share.
"""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["WorkerPool", "worker_pool"]

_ESTABLISHED = "01"


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def _is_worker(pid: int) -> bool:
    # multiprocessing's spawned workers; not its resource tracker, if one runs.
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False


def _established_sockets(port: int) -> set[str]:
    """Inodes of the established TCP connections whose local end is ``port``."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == _ESTABLISHED:
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    except FileNotFoundError:
        pass
    return inodes


@dataclass
class WorkerPool:
    process: asyncio.subprocess.Process
    url: str
    log: Path
    tls: ssl.SSLContext | None = None
    """What a client trusts when the service serves HTTPS (``BARITO_TLS_CERTFILE``)."""

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> set[int]:
        """The worker processes running now."""
        return {pid for pid in _children(self.pid) if _is_worker(pid)}

    def connections(self, port: int) -> dict[int, int]:
        """How many established connections to ``port`` each worker (or the one process) holds."""
        established = _established_sockets(port)
        serving = self.workers() or {self.pid}
        return {pid: len(_socket_inodes(pid) & established) for pid in serving}

    async def wait_ready(self, wait_s: float = 60) -> None:
        """Until ``/readyz`` answers 200, which a pool does only when every worker is ready."""
        verify: ssl.SSLContext | bool = self.tls or True
        async with asyncio.timeout(wait_s), httpx.AsyncClient(verify=verify) as client:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"the service exited: {self.log.read_text()[-3000:]}")
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)


@asynccontextmanager
async def worker_pool(
    service: str, port: int, env: dict[str, str], log: Path, *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[WorkerPool]:
    """``barito_<service>`` on ``port`` with ``env`` (``BARITO_...`` settings), ready.

    ``tls``: the service serves HTTPS and clients trust this context.
    """
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"barito_{service}.main",
            env={**os.environ, **env, "BARITO_PORT": str(port)},
            stdout=output,
            stderr=output,
        )
    scheme = "https" if tls else "http"
    pool = WorkerPool(process, f"{scheme}://127.0.0.1:{port}", log, tls)
    try:
        await pool.wait_ready()
        yield pool
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(60):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
