"""``/readyz`` of a worker pool: ready only when every worker is.

A probe reaches one worker, chosen by the kernel, and a pod is one endpoint
to Kubernetes: it must not be called ready while another worker behind the
same port cannot reach Kafka, nor while a worker is missing (starting, or
being replaced after it died). So each worker, once its lifespan has
started, answers its own dependency checks on a Unix socket in the pool's
directory (``ready/<pid>.sock``); the worker a probe reaches checks its own
dependencies and asks every other worker at once, live, no cached state.

The merged answer keeps ``/readyz``'s shape: each dependency is ``ok`` only if
it is ``ok`` in every worker, otherwise the workers it fails in are named
(``worker 4242: no answer within 3s``), and a ``workers`` check says how many
of the pool's workers answered ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from barito_common.workers import WorkerPool, is_alive

__all__ = ["answer_readiness", "ask_pool", "merge_checks"]

Checks = dict[str, str]
CheckOwn = Callable[[], Awaitable[Checks]]
Answers = dict[int, Checks | str]
"""Each worker's checks by pid, or why it gave none."""

_MAX_ANSWER = 64 * 1024


def _socket_path(pool: WorkerPool, pid: int) -> Path:
    return pool.ready_dir / f"{pid}.sock"


@contextlib.asynccontextmanager
async def answer_readiness(pool: WorkerPool, check: CheckOwn) -> AsyncIterator[None]:
    """Answer this worker's checks to the other workers while the block runs."""

    async def answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(json.dumps(await check()).encode())
            await writer.drain()
        finally:
            writer.close()

    path = _socket_path(pool, os.getpid())
    server = await asyncio.start_unix_server(answer, path=str(path))
    try:
        yield
    finally:
        # Gone first, so that a probe during shutdown finds this worker missing.
        path.unlink(missing_ok=True)
        server.close()
        await server.wait_closed()


async def _ask(path: Path, timeout_s: float) -> Checks | str:
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_unix_connection(str(path))
            try:
                answer = await reader.read(_MAX_ANSWER)
            finally:
                writer.close()
    except TimeoutError:
        return f"no answer within {timeout_s:g}s"
    except OSError as err:
        return f"no answer: {err.strerror or err}"
    try:
        checks = json.loads(answer)
    except ValueError:
        # Closed without an answer: the worker is shutting down.
        return "no answer: it closed the connection"
    if not isinstance(checks, dict):
        return "an answer that is not its checks"
    return {str(name): str(result) for name, result in checks.items()}


async def ask_pool(pool: WorkerPool, own: Checks, timeout_s: float) -> Answers:
    """This worker's ``own`` checks and every other live worker's, by pid."""
    me = os.getpid()
    others: list[int] = []
    for path in pool.ready_dir.glob("*.sock"):
        pid = int(path.stem)
        if pid == me:
            continue
        if not is_alive(pid):
            # Killed before it could remove its socket.
            path.unlink(missing_ok=True)
            continue
        others.append(pid)
    results = await asyncio.gather(*(_ask(_socket_path(pool, pid), timeout_s) for pid in others))
    return {me: own, **dict(zip(others, results, strict=True))}


def merge_checks(workers: int, answers: Answers) -> Checks:
    """One check per dependency over every worker, and ``workers``: ``ok`` or how many are ready.

    >>> merge_checks(2, {1: {"kafka": "ok"}, 2: {"kafka": "refused"}})
    {'kafka': 'worker 2: refused', 'workers': '1 of 2 ready'}
    >>> merge_checks(2, {1: {"kafka": "ok"}})
    {'kafka': 'ok', 'workers': '1 of 2 ready (1 starting or being replaced)'}
    >>> merge_checks(2, {1: {"kafka": "ok"}, 2: {"kafka": "ok"}})
    {'kafka': 'ok', 'workers': 'ok'}
    """
    failures: dict[str, list[str]] = {}
    ready = 0
    unanswered: list[str] = []
    for pid, answer in answers.items():
        if isinstance(answer, str):
            unanswered.append(f"worker {pid}: {answer}")
            continue
        for name, result in answer.items():
            failing = failures.setdefault(name, [])
            if result != "ok":
                failing.append(f"worker {pid}: {result}")
        ready += all(result == "ok" for result in answer.values())
    merged = {name: "; ".join(failing) or "ok" for name, failing in failures.items()}
    summary = f"{ready} of {workers} ready"
    # Fewer answers than workers: the supervisor has not (re)started one yet.
    missing = workers - len(answers)
    details = unanswered + ([f"{missing} starting or being replaced"] if missing > 0 else [])
    if details:
        merged["workers"] = f"{summary} ({'; '.join(details)})"
    else:
        merged["workers"] = "ok" if ready == workers else summary
    return merged
