"""The market's two rsyslog configurations, pasted unchanged into a real rsyslogd, deliver.

The configurations come from the market's code for this receiver's endpoints
(``agent_configs``), one app each: ``omfwd`` to the syslog listener with the
secret in structured data, and ``omelasticsearch`` to the bulk API with the
secret as password. A private rsyslogd (its own configuration, work directory
and pid file) takes RFC 5424 and RFC 3164 lines on an ``imtcp`` input of its
own; both actions sit in the default ruleset, as pasted. Every marker must be
in each app's topic exactly once.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from barito_common.settings import KafkaSettings
from barito_market.apps.agent_configs import agent_configs
from barito_market.apps.endpoints import app_endpoints
from barito_market.settings import MarketSettings
from barito_testing.apps import App, Apps
from barito_testing.ports import free_port
from barito_testing.receiver import InProcessReceiver, in_process_receiver
from barito_testing.serving import serve

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
COUNT = 20


@pytest.fixture
async def receiver(stack: Any) -> AsyncIterator[tuple[InProcessReceiver, Apps, str]]:
    """A receiver with its syslog listener, served over HTTP for the bulk API."""
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"a{uuid.uuid4().hex[:8]}."
    )
    async with in_process_receiver(kafka, syslog_port=free_port(), usage_window_s=1.0) as r:
        apps = Apps(kafka, r.registry)
        await apps.producer.start()
        try:
            async with serve(r.app, lifespan="off") as url:
                yield r, apps, url
        finally:
            await apps.producer.stop()


def _configs(receiver_url: str, syslog_port: int, app: App) -> Any:
    settings = MarketSettings(
        bulk_url_template=receiver_url, syslog_url_template=f"tcp://127.0.0.1:{syslog_port}"
    )
    slug = app.profile.slug
    endpoints = app_endpoints(settings, app_slug=slug, group_slug="g", cluster=None)
    return agent_configs(endpoints, secret=app.secret, app_slug=slug)


def _write_conf(folder: Path, input_port: int, pasted: str) -> Path:
    """A private rsyslogd's configuration: an imtcp input, then what the user pasted."""
    if not Path(RSYSLOGD).exists():
        pytest.fail("rsyslogd is not installed (Debian package rsyslog; .ci/run installs it)")
    (folder / "work").mkdir()
    conf = folder / "rsyslog.conf"
    conf.write_text(
        f'global(workDirectory="{folder / "work"}")\n'
        'module(load="imtcp")\n'
        f'input(type="imtcp" port="{input_port}" address="127.0.0.1")\n'
        f"{pasted}"
    )
    return conf


async def _wait_listening(port: int, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(20):
        while True:
            if process.returncode is not None:
                output = await process.stdout.read() if process.stdout else b""
                pytest.fail(f"rsyslogd exited: {output.decode()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return


async def test_pasted_rsyslog_configs_deliver_every_marker_once_to_their_own_app(
    receiver: tuple[InProcessReceiver, Apps, str], tmp_path: Path
) -> None:
    r, apps, url = receiver
    syslog_port = r.settings.syslog_port
    assert syslog_port is not None
    by_syslog, by_bulk = await apps.register(), await apps.register()
    syslog_config = _configs(url, syslog_port, by_syslog).rsyslog_syslog
    bulk_config = _configs(url, syslog_port, by_bulk).rsyslog_elasticsearch
    input_port = free_port()
    conf = _write_conf(tmp_path, input_port, f"{syslog_config}{bulk_config}")
    process = await asyncio.create_subprocess_exec(
        *(RSYSLOGD, "-n", "-f", str(conf), "-i", str(tmp_path / "rsyslogd.pid")),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await _wait_listening(input_port, process)
        run = uuid.uuid4().hex[:8]
        markers = []
        lines = []
        for n in range(COUNT):
            m5424, mbsd = f"m5424-{run}-{n}", f"mbsd-{run}-{n}"
            markers += [m5424, mbsd]
            lines.append(
                f"<165>1 2024-05-01T12:00:00.123456+00:00 web01 evntslog 812 ID47 - {m5424}\n"
            )
            lines.append(f"<11>May  1 12:00:00 web02 nginx[99]: {mbsd}\n")
        _, writer = await asyncio.open_connection("127.0.0.1", input_port)
        writer.write("".join(lines).encode())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

        for app in (by_syslog, by_bulk):
            events = await apps.events(app, expect=len(markers), wait_s=30)
            got = sorted(event.record["message"] for event in events)
            assert got == sorted(markers), app.profile.slug
            # The secret reached the receiver to name the app, and was not stored.
            assert all(app.secret not in str(event.record) for event in events)
    finally:
        process.terminate()
        async with asyncio.timeout(20):
            output = (await process.communicate())[0].decode()
    assert "error" not in output.lower(), output
