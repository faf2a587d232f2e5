"""What one ``admit`` costs: the shared budget's limiter against a fixed local bucket, and
a Redis round trip per request (the alternative BaritoLog offered), in this process.

The fixed local bucket is the receiver's limiter before the shared budget (each
replica a fixed share, nothing counted for anyone): the baseline of the hot
path. The Redis figure is one ``INCRBY`` round trip to a local ``redis-server``
over loopback (RESP written by hand, no client library: the cheapest a
per-request Redis limit can be; a real one adds an EXPIRE or a script, and a
network hop instead of loopback).
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from barito_receiver.token_bucket import RateLimiter, TokenBucket

CALLS = 300_000


@dataclass
class FixedBucketLimiter:
    """The receiver's limiter before the shared budget: a bucket at a fixed share of the rate."""

    burst_seconds: float
    share: float = 1.0

    def __post_init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}

    def admit(self, app_id: str, tps: int, events: int) -> int:
        rate = tps * self.share
        now = time.monotonic()
        bucket = self._buckets.get(app_id)
        if bucket is None or bucket.rate != rate:
            capacity = rate * self.burst_seconds
            bucket = TokenBucket(rate=rate, capacity=capacity, tokens=capacity, updated=now)
            self._buckets[app_id] = bucket
        wait = bucket.take(events, now)
        return 0 if wait == 0 else max(1, math.ceil(wait))


def ns_per_admit(admit: Callable[[str, int, int], int]) -> float:
    """CPU nanoseconds per call, over many apps (a mix of admitted and refused calls)."""
    apps = [f"app-{n}" for n in range(100)]
    started = time.process_time_ns()
    for n in range(CALLS):
        admit(apps[n % 100], 50_000, 1000)
    return (time.process_time_ns() - started) / CALLS


def admit_costs(rounds: int = 3) -> tuple[float, float]:
    """(shared budget's limiter, fixed local bucket) ns per admit: the best of ``rounds``."""
    shared, fixed = [], []
    for _ in range(rounds):
        shared.append(ns_per_admit(RateLimiter(burst_seconds=10).admit))
        fixed.append(ns_per_admit(FixedBucketLimiter(burst_seconds=10).admit))
    return min(shared), min(fixed)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def redis_round_trips(port: int, calls: int = 20_000) -> tuple[float, float, float] | None:
    """(wall µs, client CPU µs, server CPU µs) per INCRBY; None without ``redis-server``."""
    server_bin = shutil.which("redis-server")
    if server_bin is None:
        return None
    server = await asyncio.create_subprocess_exec(
        server_bin, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        command = b"*3\r\n$6\r\nINCRBY\r\n$11\r\nrate:app-42\r\n$4\r\n1000\r\n"

        async def incr() -> None:
            writer.write(command)
            reply = await reader.readline()
            if not reply.startswith(b":"):
                raise RuntimeError(f"redis answered {reply!r}")

        for _ in range(1000):  # warm-up
            await incr()
        server_cpu = _cpu_seconds(server.pid)
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            await incr()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        server_cpu = _cpu_seconds(server.pid) - server_cpu
        writer.close()
        await writer.wait_closed()
        return wall / calls * 1e6, cpu / calls * 1e6, server_cpu / calls * 1e6
    finally:
        server.terminate()
        await server.wait()
