"""rsyslog's ``omfwd``, unmodified, forwards marked messages over TCP to the receiver's syslog port.

A private ``rsyslogd`` (its own configuration, work directory and pid file)
takes messages on an ``imtcp`` input of its own and forwards each to four
apps, one ``omfwd`` action each: RFC 5424 with the token in the structured
data and RFC 3164 with the token at the start of MSG (the templates
``docs/agents.md`` gives), each with ``TCP_Framing="octet-counted"`` and
with the default (LF) framing. Every marker must be in each app's topic
exactly once, with the fields rsyslog sent.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from barito_testing.apps import App, Apps
from barito_testing.ports import free_port

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    return {"syslog_port": free_port()}


def template_5424(name: str, secret: str) -> str:
    return (
        f'template(name="{name}" type="string" string="<%PRI%>1 %TIMESTAMP:::date-rfc3339% '
        f"%HOSTNAME% %APP-NAME% %PROCID% %MSGID% "
        f'[barito@32473 secret=\\"{secret}\\"]%STRUCTURED-DATA% %msg%\\n")'
    )


def template_3164(name: str, secret: str) -> str:
    return (
        f'template(name="{name}" type="string" string="<%PRI%>%TIMESTAMP% %HOSTNAME% '
        f'%syslogtag:1:32% [barito@32473 secret=\\"{secret}\\"]%msg:::sp-if-no-1st-sp%%msg%\\n")'
    )


def rsyslog_conf(work: Path, input_port: int, syslog_port: int, apps: dict[str, App]) -> str:
    """One imtcp input; one omfwd action per app (template and framing named by the key)."""
    lines = [
        f'global(workDirectory="{work}")',
        'module(load="imtcp")',
        f'input(type="imtcp" port="{input_port}" address="127.0.0.1" ruleset="forward")',
    ]
    actions = []
    for key, app in apps.items():
        form, framing = key.split("-")
        template = template_5424 if form == "rfc5424" else template_3164
        lines.append(template(key, app.secret))
        framing_option = ' TCP_Framing="octet-counted"' if framing == "octet" else ""
        actions.append(
            f'  action(type="omfwd" target="127.0.0.1" port="{syslog_port}" protocol="tcp"'
            f'{framing_option} template="{key}")'
        )
    lines += ['ruleset(name="forward") {', *actions, "}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def rsyslogd_dir(tmp_path: Path) -> Iterator[Path]:
    if not Path(RSYSLOGD).exists():
        pytest.fail("rsyslogd is not installed (Debian package rsyslog; .ci/run installs it)")
    yield tmp_path


async def wait_listening(port: int, process: asyncio.subprocess.Process) -> None:
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


async def test_rsyslog_omfwd_delivers_every_marker_once_in_5424_and_3164_both_framings(
    receiver: Any, rsyslogd_dir: Path
) -> None:
    apps: Apps = receiver.apps
    targets = {
        key: await apps.register()
        for key in ("rfc5424-octet", "rfc5424-lf", "rfc3164-octet", "rfc3164-lf")
    }
    input_port = free_port()
    work = rsyslogd_dir / "work"
    work.mkdir()
    conf = rsyslogd_dir / "rsyslog.conf"
    conf.write_text(rsyslog_conf(work, input_port, receiver.settings.syslog_port, targets))
    process = await asyncio.create_subprocess_exec(
        *(RSYSLOGD, "-n", "-f", str(conf), "-i", str(rsyslogd_dir / "rsyslogd.pid")),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await wait_listening(input_port, process)
        run = uuid.uuid4().hex[:8]
        sent: dict[str, str] = {}
        lines = []
        for n in range(20):
            m5424, mbsd = f"m5424-{run}-{n}", f"mbsd-{run}-{n}"
            sent[m5424], sent[mbsd] = "rfc5424", "bsd"
            lines.append(
                "<165>1 2024-05-01T12:00:00.123456+00:00 web01 evntslog 812 ID47 "
                f'[ex@32473 iut="3"] {m5424}\n'
            )
            lines.append(f"<11>May  1 12:00:00 web02 nginx[99]: {mbsd}\n")
        _, writer = await asyncio.open_connection("127.0.0.1", input_port)
        writer.write("".join(lines).encode())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

        for key, app in targets.items():
            events = await apps.events(app, expect=len(sent), wait_s=30)
            by_marker = {event.record["message"]: event for event in events}
            assert sorted(event.record["message"] for event in events) == sorted(sent), key
            for mark, origin in sent.items():
                event = by_marker[mark]
                if origin == "rfc5424":
                    expected = {
                        "message": mark,
                        "level": "info",
                        "facility": "local4",
                        "severity": "notice",
                        "hostname": "web01",
                        "app_name": "evntslog",
                        "procid": "812",
                    }
                    if key.startswith("rfc5424"):
                        expected["msgid"] = "ID47"
                        expected["structured_data"] = {"ex@32473": {"iut": "3"}}
                        assert event.time == "2024-05-01T12:00:00.123Z", key
                else:
                    expected = {
                        "message": mark,
                        "level": "error",
                        "facility": "user",
                        "severity": "err",
                        "hostname": "web02",
                        "app_name": "nginx",
                        "procid": "99",
                    }
                assert event.record == expected, (key, origin)
                assert event.time[4:19] == "-05-01T12:00:00", (key, event.time)
    finally:
        process.terminate()
        async with asyncio.timeout(20):
            output = (await process.communicate())[0].decode()
    assert "error" not in output.lower(), output
