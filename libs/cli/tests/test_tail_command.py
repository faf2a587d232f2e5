"""`barito tail` as a user runs it: a subprocess against a real tail server process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from barito_common.settings import KafkaSettings
from barito_testing.apps import App, Apps
from barito_testing.ports import free_port
from barito_testing.receiver import in_process_receiver

pytestmark = pytest.mark.stack


@dataclass
class Setup:
    kafka: KafkaSettings
    receiver: httpx.AsyncClient
    apps: Apps
    port: int

    @property
    def server_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def post(self, app: App, events: list[dict[str, Any]]) -> None:
        body = b"\n".join(orjson.dumps(e) for e in events)
        response = await self.receiver.post("/api/v1/logs", content=body, headers=app.headers)
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
async def setup(stack: Any) -> AsyncIterator[Setup]:
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"cli{uuid.uuid4().hex[:8]}."
    )
    async with in_process_receiver(kafka) as receiver:
        apps = Apps(kafka, receiver.registry)
        await apps.producer.start()
        try:
            yield Setup(kafka, receiver.client, apps, free_port())
        finally:
            await apps.producer.stop()


@asynccontextmanager
async def server_process(setup: Setup) -> AsyncIterator[None]:
    env = {
        **os.environ,
        "BARITO_PORT": str(setup.port),
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": setup.kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": setup.kafka.topic_prefix,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "barito_server.main", env=env, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        async with httpx.AsyncClient(base_url=setup.server_url) as client, asyncio.timeout(60):
            while True:
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        yield
    finally:
        # It may have exited already (a port taken, a crash): its code then tells.
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await process.wait()


async def server_knows(setup: Setup, app: App) -> None:
    """Wait until the server's registry holds the app (a wrong secret then gets 401, not 404)."""
    async with httpx.AsyncClient(base_url=setup.server_url) as client, asyncio.timeout(30):
        path = f"/api/v1/tail/{app.profile.slug}"
        while (await client.get(path, headers={"X-App-Secret": "x"})).status_code != 401:
            await asyncio.sleep(0.1)


def _as_from_a_terminal() -> None:
    """Give the child Ctrl-C back: a suite started as a background job of a shell
    without job control (as a CI script may be) runs with SIGINT ignored, and its
    children inherit that; a user's terminal never does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def interrupted(process: Any) -> int:
    """Ctrl-C, then the exit code (bounded, so a CLI that ignores it fails fast)."""
    process.send_signal(signal.SIGINT)
    return int(await asyncio.wait_for(process.wait(), 30))


@asynccontextmanager
async def barito_tail(setup: Setup, app: App, *args: str) -> AsyncIterator[Any]:
    env = {**os.environ, "BARITO_TAIL_SECRET": app.secret, "BARITO_CONFIG": "/nonexistent"}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "barito_cli.main", "tail", app.profile.slug),
        *("--server", setup.server_url, *args),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_as_from_a_terminal,
    )
    try:
        assert process.stderr is not None
        async with asyncio.timeout(30):
            while b"Tailing" not in (line := await process.stderr.readline()):
                assert line, "barito tail ended before it was connected"
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def lines(process: Any, count: int) -> list[str]:
    out = []
    async with asyncio.timeout(60):
        while len(out) < count:
            line = await process.stdout.readline()
            assert line, "barito tail's output ended early"
            out.append(line.decode().rstrip("\n"))
    return out


async def test_barito_tail_prints_events_and_exits_0_on_sigint(setup) -> None:
    app = await setup.apps.register()
    async with server_process(setup):
        await server_knows(setup, app)
        async with barito_tail(setup, app, "--json") as process:
            await setup.post(app, [{"seq": i, "message": f"hello {i}"} for i in range(5)])
            printed = [json.loads(line) for line in await lines(process, 5)]
            assert [e["seq"] for e in printed] == list(range(5))
            assert all("@timestamp" in e for e in printed)
            assert await interrupted(process) == 0
            assert b"--resume" in await process.stderr.read()


async def test_barito_tail_filters_and_colours_by_level(setup) -> None:
    app = await setup.apps.register()
    async with server_process(setup):
        await server_knows(setup, app)
        async with barito_tail(setup, app, "--level", "error") as process:
            await setup.post(
                app,
                [
                    {"level": "info", "message": "fine"},
                    {"level": "error", "message": "broken", "code": 7},
                ],
            )
            (line,) = await lines(process, 1)
            # Not a terminal, so click leaves the colours out.
            assert line.endswith("ERROR broken code=7")
            assert line[:4].isdigit()
            assert await interrupted(process) == 0


async def test_barito_tail_reconnects_with_its_token_across_a_server_restart(setup) -> None:
    app = await setup.apps.register(partitions=2)
    first_server = AsyncExitStack()
    await first_server.enter_async_context(server_process(setup))
    await server_knows(setup, app)
    async with barito_tail(setup, app, "--json") as process:
        await setup.post(app, [{"seq": i} for i in range(5)])
        seen = [json.loads(line)["seq"] for line in await lines(process, 5)]
        await first_server.aclose()
        # Written while no tail server runs; the CLI keeps retrying meanwhile.
        await setup.post(app, [{"seq": i} for i in range(5, 10)])
        async with server_process(setup):
            await setup.post(app, [{"seq": i} for i in range(10, 15)])
            seen += [json.loads(line)["seq"] for line in await lines(process, 10)]
            assert await interrupted(process) == 0
            rest = (await process.stdout.read()).decode().split()
    assert sorted(seen) == list(range(15))
    assert rest == []
    assert b"reconnecting" in await process.stderr.read()


@pytest.mark.parametrize("flags", [("--regex", "(")], ids=["bad regex"])
async def test_barito_tail_reports_a_refusal_and_exits_1(setup, flags) -> None:
    app = await setup.apps.register()
    async with server_process(setup):
        await server_knows(setup, app)
        env = {**os.environ, "BARITO_TAIL_SECRET": app.secret, "BARITO_CONFIG": "/nonexistent"}
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "barito_cli.main", "tail", app.profile.slug),
            *("--server", setup.server_url, *flags),
            env=env,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        assert process.returncode == 1
        assert b"400" in err and b"not valid RE2" in err
