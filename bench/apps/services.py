"""Receiver, flow and tail server as real processes: start, readiness, memory, logs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from barito_testing.ports import free_port


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid``, from /proc (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Service:
    name: str
    url: str
    proc: asyncio.subprocess.Process
    started: float
    ready_s: float = 0.0
    # Each "Partitions assigned." line of a flow: (time since its start, partitions).
    assignments: list[tuple[float, set[str]]] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    @property
    def rss_mib(self) -> float:
        return rss_mib(self.proc.pid)

    async def wait_ready(self, timeout_s: float = 300) -> float:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        self.ready_s = time.perf_counter() - self.started
                        return self.ready_s
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.name} was not ready within {timeout_s:g} s")

    def assigned(self) -> set[str]:
        """The partitions this flow was given last (nothing when it has stopped)."""
        if self.proc.returncode is not None or not self.assignments:
            return set()
        return self.assignments[-1][1]

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                async with asyncio.timeout(60):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


async def start_service(name: str, env: dict[str, str]) -> Service:
    """``python -m barito_<name>.main`` on a free port, INFO logs read for flow's assignments."""
    port = free_port()
    full_env = {**os.environ, **env, "BARITO_PORT": str(port), "BARITO_LOG_LEVEL": "INFO"}
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"barito_{name}.main", env=full_env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, limit=1 << 26,
    )  # fmt: skip
    service = Service(name, f"http://127.0.0.1:{port}", proc, started)
    service._reader = asyncio.create_task(_read_logs(service))
    return service


async def _read_logs(service: Service) -> None:
    stream = service.proc.stderr
    assert stream is not None
    while line := await stream.readline():
        if b'"Partitions assigned."' not in line:
            continue
        partitions = orjson.loads(line).get("partitions", [])
        service.assignments.append((time.perf_counter() - service.started, set(partitions)))


async def until(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Seconds until ``condition()`` holds, polled every 20 ms."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout_s:
            raise RuntimeError(f"{what}: not within {timeout_s:g} s")
        await asyncio.sleep(0.02)
    return time.perf_counter() - started
