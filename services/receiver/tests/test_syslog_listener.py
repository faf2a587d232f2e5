"""The syslog listener on the real Kafka: what lands in the app's topic, what is refused.

Frames are written by hand on a raw socket here, to send exactly the bytes
each case needs (a wrong secret, garbage, an oversized frame, TLS);
``test_syslog_rsyslog`` sends through the real rsyslog. The secret decides
the app, and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
from pathlib import Path
from typing import Any

import pytest

from barito_cli.stack.certificates import CertificateAuthority
from barito_common.schemas import AppStatus
from barito_testing.apps import App, Apps
from barito_testing.ports import free_port

MAX_EVENT_BYTES = 4096


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    return {"syslog_port": free_port(), "max_event_bytes": MAX_EVENT_BYTES}


def token(app: App | str) -> str:
    secret = app.secret if isinstance(app, App) else app
    return f'[barito@32473 secret="{secret}"]'


def counted(message: str | bytes) -> bytes:
    data = message.encode() if isinstance(message, str) else message
    return f"{len(data)} ".encode() + data


async def send(port: int, data: bytes, *, tls: ssl.SSLContext | None = None) -> None:
    """Write ``data`` on one connection and close it once the receiver closed its side."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
    writer.write(data)
    await writer.drain()
    if tls is None:  # TLS has no half-close; there, closing is the end
        writer.write_eof()
        await reader.read()  # EOF once the receiver has sent everything on
    writer.close()
    await writer.wait_closed()


def marker() -> str:
    return f"m-{uuid.uuid4().hex[:12]}"


async def records(apps: Apps, app: App, expect: int) -> list[dict[str, Any]]:
    return [event.record for event in await apps.events(app, expect=expect)]


async def test_5424_and_3164_in_both_framings_land_in_order_with_their_fields(
    receiver: Any,
) -> None:
    apps: Apps = receiver.apps
    app = await apps.register()
    marks = [marker() for _ in range(4)]
    stream = (
        counted(
            "<165>1 2003-10-11T22:14:15.003Z web01 evntslog 77 ID47 "
            f'{token(app)}[origin ip="10.0.0.1"] '
            f"\ufeff{marks[0]}\n"
        )
        + f"<30>1 2024-05-01T12:00:00.5+02:00 web02 nginx - - {token(app)} {marks[1]}\n".encode()
        + counted(f"<34>Oct 11 22:14:15 db1 su[42]: {token(app)} {marks[2]}")
        + f"<13>May  1 12:00:00 db2 cron: {token(app)} {marks[3]}\r\n".encode()
    )
    await send(receiver.settings.syslog_port, stream)

    events = await apps.events(app, expect=4)
    assert [event.record["message"] for event in events] == marks
    assert events[0].time == "2003-10-11T22:14:15.003Z"
    assert events[0].record == {
        "message": marks[0],
        "level": "info",
        "facility": "local4",
        "severity": "notice",
        "hostname": "web01",
        "app_name": "evntslog",
        "procid": "77",
        "msgid": "ID47",
        "structured_data": {"origin": {"ip": "10.0.0.1"}},
    }
    assert events[1].time == "2024-05-01T10:00:00.500Z"
    assert events[2].record == {
        "message": marks[2],
        "level": "fatal",
        "facility": "auth",
        "severity": "crit",
        "hostname": "db1",
        "app_name": "su",
        "procid": "42",
    }
    assert events[3].record["hostname"] == "db2"
    assert app.secret not in repr([event.record for event in events])


async def test_secret_decides_the_app_and_wrong_or_missing_secrets_are_refused_by_name(
    receiver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    apps: Apps = receiver.apps
    mine, other = await apps.register(), await apps.register()
    inactive = await apps.register(status=AppStatus.INACTIVE)
    wrong = "not-a-secret-" + uuid.uuid4().hex
    ok_mine, ok_other = marker(), marker()
    lines = [
        # Another app's secret, with this app's name everywhere else it could be read from.
        f"<14>1 - {mine.profile.slug} {mine.profile.slug} - - {token(other)} {ok_other}",
        f"<14>1 - h a - - {token(wrong)} refused-wrong",
        "<14>1 - h a - - - refused-no-token",
        f"<14>May  1 12:00:00 h a: {mine.profile.slug} refused-3164-no-token",
        f"<14>1 - h a - - {token(inactive)} refused-inactive",
        f"<14>1 - h a - - {token(mine)} {ok_mine}",
    ]
    with caplog.at_level(logging.WARNING, logger="barito_receiver.syslog.connection"):
        await send(receiver.settings.syslog_port, "".join(f"{line}\n" for line in lines).encode())
        assert [r["message"] for r in await records(apps, mine, 1)] == [ok_mine]
        assert [r["message"] for r in await records(apps, other, 1)] == [ok_other]
        assert await apps.chunk_count(inactive) == 0

    logged = [(r.getMessage(), r.ctx) for r in caplog.records]  # type: ignore[attr-defined]
    refusals = {ctx["reason"]: ctx for text, ctx in logged if text.startswith("Syslog message ref")}
    assert sorted(refusals) == ["inactive", "no_secret", "unauthorized"]
    assert refusals["inactive"]["app"] == inactive.profile.slug
    assert refusals["inactive"]["error"] == (
        f"App '{inactive.profile.slug}' is inactive; it cannot ingest."
    )
    assert refusals["unauthorized"]["error"] == "Unknown app secret."
    assert refusals["no_secret"]["error"].startswith('No app secret: put [barito@32473 secret="')
    assert "app" not in refusals["unauthorized"] and "app" not in refusals["no_secret"]
    # Both messages without a secret (5424 and 3164) were refused: one logged, one counted.
    summary = [ctx for text, ctx in logged if "closed connection" in text]
    assert [(ctx["reason"], ctx["messages"]) for ctx in summary] == [("no_secret", 2)]
    assert wrong not in caplog.text and inactive.secret not in caplog.text


async def test_garbage_and_oversized_frames_are_skipped_and_the_connection_goes_on(
    receiver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    apps: Apps = receiver.apps
    app = await apps.register()
    marks = [marker() for _ in range(3)]
    big = "x" * MAX_EVENT_BYTES
    stream = (
        f"<14>1 - h a - - {token(app)} {marks[0]}\n".encode()
        + b"\x16\x03\x01 this is no syslog\n"
        + counted(f"<14>1 - h a - - {token(app)} {big}")
        + f"<14>1 - h a - - {token(app)} {big}\n".encode()
        + f'<14>1 - h a - - {token(app)}[broken a="b] x\n'.encode()
        + counted(f"<14>1 - h a - - {token(app)} {marks[1]}")
        + f"<14>1 - h a - - {token(app)} {marks[2]}".encode()  # last line, no LF
    )
    with caplog.at_level(logging.WARNING, logger="barito_receiver.syslog.connection"):
        await send(receiver.settings.syslog_port, stream)
        assert [r["message"] for r in await records(apps, app, 3)] == marks
    logged = [(r.getMessage(), r.ctx) for r in caplog.records]  # type: ignore[attr-defined]
    first = sorted(
        ctx["reason"] for text, ctx in logged if text.startswith("Syslog message refused")
    )
    assert first == ["malformed", "too_large"]  # each reason once, then counted
    summary = {
        ctx["reason"]: ctx["messages"] for text, ctx in logged if "closed connection" in text
    }
    assert summary == {"malformed": 2, "too_large": 2}
    assert big not in caplog.text


async def test_many_messages_of_one_app_are_batched_and_all_land_in_order(
    start_receiver: Any, stack: Any
) -> None:
    # A receiver with the default event (and so chunk) size: a chunk per batch.
    port = free_port()
    async with start_receiver(stack.kafka_bootstrap, syslog_port=port) as receiver:
        apps: Apps = receiver.apps
        app = await apps.register()
        marks = [f"{marker()}-{n}" for n in range(3000)]
        await send(port, b"".join(counted(f"<14>1 - h a - - {token(app)} {m}") for m in marks))
        events = await apps.events(app, expect=len(marks), wait_s=60)
        assert [event.record["message"] for event in events] == marks
        # Far fewer Kafka records than messages: one per batch of up to 1000.
        assert await apps.chunk_count(app) <= 30


async def test_over_the_rate_messages_are_held_back_not_dropped(
    start_receiver: Any, stack: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A bucket of 0.1 s of the rate: the second and third batches of 1000 wait for it.
    port = free_port()
    async with start_receiver(stack.kafka_bootstrap, syslog_port=port, burst_seconds=0.1) as r:
        app = await r.apps.register(tps=1000)
        marks = [f"{marker()}-{n}" for n in range(3000)]
        with caplog.at_level(logging.INFO, logger="barito_receiver.syslog.connection"):
            await send(port, b"".join(counted(f"<14>1 - h a - - {token(app)} {m}") for m in marks))
        events = await r.apps.events(app, expect=len(marks), wait_s=60)
        assert [event.record["message"] for event in events] == marks
    held = [rec.ctx for rec in caplog.records if "held back;" in rec.getMessage()]  # type: ignore[attr-defined]
    assert held and "over its rate" in held[0]["error"]


async def test_tls_listener_takes_octet_counted_frames_with_the_services_certificate(
    start_receiver: Any, stack: Any, tmp_path: Path
) -> None:
    ca = CertificateAuthority(tmp_path / "ca")
    certificate = ca.issue("receiver")
    port = free_port()
    async with start_receiver(
        stack.kafka_bootstrap,
        syslog_port=port,
        syslog_tls=True,
        tls_certfile=str(certificate.certfile),
        tls_keyfile=str(certificate.keyfile),
    ) as receiver:
        app = await receiver.apps.register()
        mark = marker()
        client = ssl.create_default_context(cafile=str(ca.cafile))
        await send(port, counted(f"<14>1 - h a - - {token(app)} {mark}\n"), tls=client)
        assert [r["message"] for r in await records(receiver.apps, app, 1)] == [mark]

        ready = await receiver.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        # A plain-TCP sender at the TLS port gets nothing written anywhere.
        with contextlib.suppress(ConnectionError):
            await send(port, counted(f"<14>1 - h a - - {token(app)} plain\n"))
        assert [r["message"] for r in await records(receiver.apps, app, 1)] == [mark]
