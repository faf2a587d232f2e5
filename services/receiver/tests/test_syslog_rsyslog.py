"""rsyslog's ``omfwd``, unmodified, forwards marked messages over TCP to the receiver's syslog port.

A private ``rsyslogd`` (``barito_testing.rsyslogd``) takes messages on an
``imtcp`` input of its own and forwards each to four apps, one ``omfwd``
action each: RFC 5424 with the token in the structured data and RFC 3164
with the token at the start of MSG (the templates ``docs/agents.md`` gives),
each with ``TCP_Framing="octet-counted"`` and with the default (LF)
framing. Every marker must be in each app's topic exactly once, with the
fields rsyslog sent.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from barito_cli.stack.certificates import CertificateAuthority
from barito_testing.apps import Apps
from barito_testing.ports import free_port
from barito_testing.rsyslogd import running_rsyslogd, send_lines

FORWARDS = ("rfc5424-octet", "rfc5424-lf", "rfc3164-octet", "rfc3164-lf")


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    return {"syslog_port": free_port()}


async def test_rsyslog_omfwd_delivers_every_marker_once_in_5424_and_3164_both_framings(
    receiver: Any, tmp_path: Path
) -> None:
    apps: Apps = receiver.apps
    targets = {key: await apps.register() for key in FORWARDS}
    run = uuid.uuid4().hex[:8]
    sent: dict[str, str] = {}
    lines = []
    for n in range(20):
        m5424, mbsd = f"m5424-{run}-{n}", f"mbsd-{run}-{n}"
        sent[m5424], sent[mbsd] = "rfc5424", "bsd"
        lines.append(
            "<165>1 2024-05-01T12:00:00.123456+00:00 web01 evntslog 812 ID47 "
            f'[ex@32473 iut="3"] {m5424}'
        )
        lines.append(f"<11>May  1 12:00:00 web02 nginx[99]: {mbsd}")

    async with running_rsyslogd(tmp_path, receiver.settings.syslog_port, targets) as input_port:
        await send_lines(input_port, lines)
        for key, app in targets.items():
            events = await apps.events(app, expect=len(sent), wait_s=30)
            assert sorted(event.record["message"] for event in events) == sorted(sent), key
            for event in events:
                mark = event.record["message"]
                if sent[mark] == "rfc5424":
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
                assert event.record == expected, (key, sent[mark])
                assert event.time[4:19] == "-05-01T12:00:00", (key, event.time)


async def test_rsyslog_omfwd_over_tls_with_the_receivers_certificate(
    start_receiver: Any, stack: Any, tmp_path: Path
) -> None:
    ca = CertificateAuthority(tmp_path / "ca")
    certificate = ca.issue("receiver")  # names 127.0.0.1 and localhost
    port = free_port()
    async with start_receiver(
        stack.kafka_bootstrap,
        syslog_port=port,
        syslog_tls=True,
        tls_certfile=str(certificate.certfile),
        tls_keyfile=str(certificate.keyfile),
    ) as receiver:
        app = await receiver.apps.register()
        marks = [f"tls-{uuid.uuid4().hex[:8]}-{n}" for n in range(20)]
        rsyslog_dir = tmp_path / "rsyslog"
        rsyslog_dir.mkdir()
        targets = {"rfc5424-octet": app}
        async with running_rsyslogd(rsyslog_dir, port, targets, tls_cafile=ca.cafile) as input_port:
            await send_lines(input_port, [f"<14>1 - web01 app 7 - - {m}" for m in marks])
            events = await receiver.apps.events(app, expect=len(marks), wait_s=30)
        assert [event.record["message"] for event in events] == marks
        assert events[0].record["procid"] == "7"
