"""Real forward clients write to the app their tag's secret names, exactly once each.

fluent-logger-python (PyPI ``fluent-logger``) and fluent-logger-golang
(Debian's source, built into a small program) are used unmodified, against
the in-process receiver's forward port on the stack's Kafka. The tag is
``<app secret>.<rest>``: the events keep ``<rest>`` as their ``tag`` field,
never the secret. Byte-level cases use the spec client
(:mod:`barito_testing.forward_client`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ssl
import uuid
from pathlib import Path
from typing import Any

import msgpack
import pytest
from fluent import sender

from barito_cli.stack.certificates import CertificateAuthority
from barito_common.chunk_codec import REQUEST_ID_HEADER, Event, decode_chunk
from barito_common.kafka import create_consumer
from barito_common.schemas import AppStatus
from barito_testing.apps import App, Apps
from barito_testing.fluent_logger_golang import fluent_logger_golang
from barito_testing.forward_client import spec_forward_client
from barito_testing.ports import free_port


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    return {"forward_port": free_port(), "max_request_bytes": 64 * 1024}


@pytest.fixture(scope="module")
def golang_logger(stack: Any) -> Path:
    return fluent_logger_golang(Path(stack.config.cache_dir))


def _port(receiver: Any) -> int:
    port: int = receiver.settings.forward_port
    return port


async def run_golang(binary: Path, *args: str, timeout_s: float = 120) -> tuple[int, list[str]]:
    process = await asyncio.create_subprocess_exec(
        str(binary), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    async with asyncio.timeout(timeout_s):
        output, _ = await process.communicate()
    return process.returncode or 0, output.decode().splitlines()


async def records(apps: Apps, app: App, *, expect: int) -> list[dict[str, Any]]:
    return [event.record for event in await apps.events(app, expect=expect)]


def _markers(found: list[dict[str, Any]]) -> list[str]:
    return sorted(record["marker"] for record in found)


def _python_logger_sends(port: int, tag: str, markers: list[str]) -> None:
    logger = sender.FluentSender(tag, host="127.0.0.1", port=port, nanosecond_precision=True)
    try:
        for n, marker in enumerate(markers):
            assert logger.emit("web", {"marker": marker, "n": n}), logger.last_error
    finally:
        logger.close()


async def test_fluent_logger_python_events_land_once_each_with_the_tag_but_not_the_secret(
    receiver: Any,
) -> None:
    app = await receiver.apps.register()
    markers = [f"py-{uuid.uuid4().hex[:6]}-{n}" for n in range(50)]
    await asyncio.to_thread(_python_logger_sends, _port(receiver), app.secret, markers)

    found = await records(receiver.apps, app, expect=len(markers))
    assert _markers(found) == sorted(markers)
    assert {record["tag"] for record in found} == {"web"}
    assert not any(app.secret in str(record) for record in found)


async def test_fluent_logger_golang_with_request_ack_lands_every_event_once(
    receiver: Any, golang_logger: Path
) -> None:
    app = await receiver.apps.register()
    prefix = f"go-{uuid.uuid4().hex[:6]}"
    status, output = await run_golang(
        golang_logger,
        *("-port", str(_port(receiver)), "-tag", f"{app.secret}.api.access"),
        *("-prefix", prefix, "-count", "40", "-ack=true", "-subsecond=true"),
    )
    assert status == 0, output
    assert output.count("sent 39") == 1

    found = await records(receiver.apps, app, expect=40)
    assert _markers(found) == sorted(f"{prefix}-{n}" for n in range(40))
    assert {record["tag"] for record in found} == {"api.access"}


async def test_a_wrong_secret_in_the_tag_gets_no_ack_and_writes_nothing(
    receiver: Any, golang_logger: Path
) -> None:
    app = await receiver.apps.register()
    status, output = await run_golang(
        golang_logger,
        *("-port", str(_port(receiver)), "-tag", "not-a-secret.web", "-count", "1"),
        "-max-retry=2",
    )
    assert status == 1, output
    assert not any(line.startswith("sent") for line in output)

    async with spec_forward_client(_port(receiver)) as client:
        await client.send(["wrong.web", 1700000000, {"n": 1}, {"chunk": "c1"}])
        assert await client.closed_by_server()
    assert await receiver.apps.chunk_count(app) == 0


async def test_another_apps_secret_writes_only_to_that_app(receiver: Any) -> None:
    mine = await receiver.apps.register()
    other = await receiver.apps.register()
    async with spec_forward_client(_port(receiver)) as client:
        await client.send([f"{other.secret}.web", 1700000000, {"who": "other"}, {"chunk": "a"}])
        assert await client.read() == {"ack": "a"}
        # The tag may name this app's slug: only the secret decides.
        tag = f"{other.secret}.{mine.profile.slug}"
        await client.send([tag, 1700000000, {"who": "other"}, {"chunk": "b"}])
        assert await client.read() == {"ack": "b"}
    assert await records(receiver.apps, other, expect=2) == [
        {"who": "other", "tag": "web"},
        {"who": "other", "tag": mine.profile.slug},
    ]
    assert await receiver.apps.chunk_count(mine) == 0


async def test_an_inactive_app_is_refused_with_no_ack(receiver: Any) -> None:
    app = await receiver.apps.register()
    await receiver.apps.publish(app.profile.model_copy(update={"status": AppStatus.INACTIVE}))
    async with spec_forward_client(_port(receiver)) as client:
        await client.send([f"{app.secret}.web", 1700000000, {"n": 1}, {"chunk": "c"}])
        assert await client.closed_by_server()
    assert await receiver.apps.chunk_count(app) == 0


async def _records_with_ids(apps: Apps, app: App, expect: int) -> list[tuple[str, list[Event]]]:
    consumer = create_consumer(apps.kafka_of(app.profile), app.profile.topic, group_id=None)
    await consumer.start()
    found: list[tuple[str, list[Event]]] = []
    try:
        async with asyncio.timeout(15):
            while len(found) < expect:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    for record in batch:
                        ids = [v.decode() for k, v in record.headers if k == REQUEST_ID_HEADER]
                        found.append((ids[0] if ids else "", decode_chunk(record.value)))
    finally:
        await consumer.stop()
    return found


async def test_every_mode_is_acked_with_the_chunk_echoed_and_a_resend_keeps_its_request_id(
    receiver: Any,
) -> None:
    app = await receiver.apps.register()
    tag = f"{app.secret}.modes"
    entry = msgpack.packb([1700000000, {"mode": "packed"}])
    fluentd_id = "p8n9gmxTQVC8/nh2wlKKeQ==\n"
    requests = [
        ([tag, 1700000000, {"mode": "message"}, {"chunk": "m"}], "m"),
        ([tag, [[1700000000, {"mode": "forward"}]], {"chunk": "f"}], "f"),
        ([tag, entry, {"chunk": fluentd_id, "size": 1, "compressed": "text"}], fluentd_id),
        ([tag, gzip.compress(entry), {"chunk": "g", "compressed": "gzip"}], "g"),
    ]
    async with spec_forward_client(_port(receiver)) as client:
        for request, chunk in requests:
            await client.send(request)
            reply = await client.read()
            assert reply == {"ack": chunk}
        # A client that lost the ack sends the same request again.
        await client.send(requests[0][0])
        assert await client.read() == {"ack": "m"}

    found = await _records_with_ids(receiver.apps, app, expect=5)
    modes = [events[0].record["mode"] for _, events in found]
    assert modes == ["message", "forward", "packed", "packed", "message"]
    # The resend carries the first copy's request id: the flow indexes it once.
    assert found[0][0] and found[4][0] == found[0][0]
    assert len({request for request, _ in found[:4]}) == 4


async def test_an_oversized_request_closes_the_connection_and_writes_nothing(
    receiver: Any,
) -> None:
    app = await receiver.apps.register()
    async with spec_forward_client(_port(receiver)) as client:
        big = {"m": "x" * (receiver.settings.max_request_bytes + 1)}
        await client.send([f"{app.secret}.web", 1700000000, big, {"chunk": "big"}])
        assert await client.closed_by_server()
    async with spec_forward_client(_port(receiver)) as client:
        bomb = gzip.compress(b"\x00" * (8 * 1024 * 1024))
        await client.send([f"{app.secret}.web", bomb, {"chunk": "z", "compressed": "gzip"}])
        assert await client.closed_by_server()
    async with spec_forward_client(_port(receiver)) as client:
        await client.send_raw(b'["tag", 1700000000, {"json": true}]')
        assert await client.closed_by_server()
    assert await receiver.apps.chunk_count(app) == 0


async def test_heartbeats_and_empty_connections_are_harmless(receiver: Any) -> None:
    app = await receiver.apps.register()
    async with spec_forward_client(_port(receiver)):
        pass  # fluentd's transport heartbeat: connect, close
    async with spec_forward_client(_port(receiver)) as client:
        await client.send_raw(b"\xc0\xc0")
        await client.send([f"{app.secret}.hb", 1700000000, {"n": 1}, {"chunk": "after-nil"}])
        assert await client.read() == {"ack": "after-nil"}
    assert await records(receiver.apps, app, expect=1) == [{"n": 1, "tag": "hb"}]


async def test_tls_from_the_first_byte_with_the_services_certificate(
    start_receiver: Any, stack: Any, tmp_path: Path
) -> None:
    ca = CertificateAuthority(tmp_path / "ca")
    certificate = ca.issue("receiver")
    port = free_port()
    async with start_receiver(
        stack.kafka_bootstrap,
        forward_port=port,
        forward_tls=True,
        tls_certfile=str(certificate.certfile),
        tls_keyfile=str(certificate.keyfile),
    ) as receiver:
        app = await receiver.apps.register()
        trusting = ssl.create_default_context(cafile=str(ca.cafile))
        async with spec_forward_client(port, tls=trusting) as client:
            await client.send([f"{app.secret}.tls", 1700000000, {"n": 1}, {"chunk": "t"}])
            assert await client.read() == {"ack": "t"}
        ready = await receiver.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        # A plain-TCP client at the TLS port gets no ack and writes nothing.
        with contextlib.suppress(ConnectionError, EOFError, TimeoutError):
            async with spec_forward_client(port) as plain:
                await plain.send([f"{app.secret}.tls", 1700000000, {"n": 2}, {"chunk": "p"}])
                await plain.read(timeout_s=5)
        assert await records(receiver.apps, app, expect=1) == [{"n": 1, "tag": "tls"}]


async def test_over_the_rate_a_request_gets_no_ack_and_its_connection_is_closed(
    receiver: Any,
) -> None:
    app = await receiver.apps.register(tps=1)  # a burst of 10 events
    tag = f"{app.secret}.rate"
    async with spec_forward_client(_port(receiver)) as client:
        burst = [[1700000000, {"n": n}] for n in range(10)]
        await client.send([tag, burst, {"chunk": "burst"}])
        assert await client.read() == {"ack": "burst"}
        await client.send([tag, [[1700000000, {"n": 10}]], {"chunk": "over"}])
        assert await client.closed_by_server()
    assert [r["n"] for r in await records(receiver.apps, app, expect=10)] == list(range(10))
