"""A private, unmodified ``rsyslogd`` forwarding to the receiver's syslog port with ``omfwd``.

Its own configuration, work directory and pid file under ``directory``; it
takes messages on an ``imtcp`` input of its own (the port it yields) and
forwards each to every target, one ``omfwd`` action each, named
``<form>-<framing>``: form ``rfc5424`` (the token in the structured data) or
``rfc3164`` (the token at the start of MSG), with the templates
``docs/agents.md`` gives; framing ``octet`` (``TCP_Framing="octet-counted"``)
or ``lf`` (omfwd's default). Each action has the disk-assisted queue the
documentation recommends, so rsyslog holds messages while the receiver does
not read.

    async with running_rsyslogd(tmp_path, syslog_port, {"rfc5424-octet": app}) as input_port:
        ...  # write syslog lines to input_port
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

from barito_testing.ports import free_port

__all__ = ["RSYSLOGD", "running_rsyslogd", "send_lines"]

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"


class App(Protocol):
    """What a target needs: its app's secret (a harness ``App``, or one the market made)."""

    @property
    def secret(self) -> str: ...


def _template(name: str, form: str, secret: str) -> str:
    token = f'[barito@32473 secret=\\"{secret}\\"]'
    if form == "rfc5424":
        text = (
            "<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% "
            f"{token}%STRUCTURED-DATA% %msg%\\n"
        )
    else:
        text = (
            f"<%PRI%>%TIMESTAMP% %HOSTNAME% %syslogtag:1:32% {token}%msg:::sp-if-no-1st-sp%%msg%\\n"
        )
    return f'template(name="{name}" type="string" string="{text}")'


def rsyslog_conf(
    work: Path,
    input_port: int,
    syslog_port: int,
    targets: dict[str, App],
    tls_cafile: Path | None = None,
) -> str:
    ca = f' DefaultNetstreamDriverCAFile="{tls_cafile}"' if tls_cafile else ""
    # TLS (RFC 5425) by the gtls driver (Debian package rsyslog-gnutls),
    # checking the receiver's certificate against the CA.
    tls = (
        ' StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"'
        ' StreamDriverPermittedPeers="localhost"'
        if tls_cafile
        else ""
    )
    lines = [
        f'global(workDirectory="{work}"{ca})',
        'module(load="imtcp")',
        f'input(type="imtcp" port="{input_port}" address="127.0.0.1" ruleset="forward")',
    ]
    actions = []
    for key, app in targets.items():
        form, framing = key.split("-")
        lines.append(_template(key, form, app.secret))
        framing_option = ' TCP_Framing="octet-counted"' if framing == "octet" else ""
        actions.append(
            f'  action(type="omfwd" target="localhost" port="{syslog_port}" protocol="tcp"'
            f'{framing_option}{tls} template="{key}" queue.type="LinkedList" '
            f'queue.filename="{key}" queue.saveOnShutdown="on" action.resumeRetryCount="-1")'
        )
    lines += ['ruleset(name="forward") {', *actions, "}"]
    return "\n".join(lines) + "\n"


@asynccontextmanager
async def running_rsyslogd(
    directory: Path, syslog_port: int, targets: dict[str, App], *, tls_cafile: Path | None = None
) -> AsyncIterator[int]:
    """Start rsyslogd; yield its input port; stop it, failing if it wrote any error.

    With ``tls_cafile`` it forwards over TLS, trusting that CA for a
    certificate naming ``localhost``.
    """
    input_port = free_port()
    conf = _configure(
        directory, rsyslog_conf(directory / "work", input_port, syslog_port, targets, tls_cafile)
    )
    process = await asyncio.create_subprocess_exec(
        *(RSYSLOGD, "-n", "-f", str(conf), "-i", str(directory / "rsyslogd.pid")),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await _wait_listening(input_port, process)
        yield input_port
    finally:
        if process.returncode is None:
            process.terminate()
        async with asyncio.timeout(20):
            output = (await process.communicate())[0].decode()
    if "error" in output.lower():
        raise AssertionError(f"rsyslogd reported an error: {output}")


def _configure(directory: Path, text: str) -> Path:
    if not Path(RSYSLOGD).exists():
        raise RuntimeError("rsyslogd is not installed (Debian package rsyslog)")
    (directory / "work").mkdir(parents=True)
    conf = directory / "rsyslog.conf"
    conf.write_text(text)
    return conf


async def send_lines(port: int, lines: list[str]) -> None:
    """Write syslog lines (LF-framed) to rsyslogd's input."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write("".join(f"{line}\n" for line in lines).encode())
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def _wait_listening(port: int, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(20):
        while True:
            if process.returncode is not None:
                output = await process.stdout.read() if process.stdout else b""
                raise RuntimeError(f"rsyslogd exited: {output.decode()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return
