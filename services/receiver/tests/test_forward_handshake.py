"""The shared-key handshake port: the app is the PING's username, proven by its forward key.

No fluentd or Fluent Bit is installable here, so the client is
:class:`barito_testing.forward_client.SpecForwardClient`, which follows the
Forward Protocol Specification v1 byte for byte (digests over raw bytes, a
Fluent Bit style raw salt packed as str). The key is sealed in the app's
profile under the installation key, as the market publishes it.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import pytest

from barito_common.installation_key import InstallationKey
from barito_testing.forward_client import spec_forward_client
from barito_testing.ports import free_port

INSTALLATION_KEY = secrets.token_urlsafe(48)


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    return {
        "forward_port": free_port(),
        "forward_handshake_port": free_port(),
        "installation_key": INSTALLATION_KEY,
    }


def _port(receiver: Any) -> int:
    port: int = receiver.settings.forward_handshake_port
    return port


async def _app_with_key(receiver: Any) -> tuple[Any, str]:
    key = secrets.token_urlsafe(32)
    sealed = InstallationKey(INSTALLATION_KEY).seal(key)
    return await receiver.apps.register(forward_key_sealed=sealed), key


@pytest.mark.parametrize(
    "salt",
    [os.urandom(16).hex().encode(), b"\xff\xfe" + os.urandom(14)],
    ids=["fluentd-hex-salt", "fluent-bit-raw-salt"],
)
async def test_a_client_holding_the_apps_forward_key_writes_to_that_app(
    receiver: Any, salt: bytes
) -> None:
    app, key = await _app_with_key(receiver)
    async with spec_forward_client(_port(receiver)) as client:
        pong = await client.handshake(
            username=app.profile.slug, shared_key=key, password=key, salt=salt
        )
        assert pong[:3] == ["PONG", True, ""]
        # No secret in the tag: the handshake decided the app.
        await client.send(["web.access", [[1700000000, {"n": 1}]], {"chunk": "h1"}])
        assert await client.read() == {"ack": "h1"}
    events = await receiver.apps.events(app, expect=1)
    assert [event.record for event in events] == [{"n": 1, "tag": "web.access"}]


async def test_a_wrong_key_gets_pong_false_with_the_reason_and_a_close(receiver: Any) -> None:
    app, key = await _app_with_key(receiver)
    async with spec_forward_client(_port(receiver)) as client:
        pong = await client.handshake(
            username=app.profile.slug, shared_key="not the key", password="not the key"
        )
        assert pong == ["PONG", False, "shared_key mismatch", "", ""]
        assert await client.closed_by_server()
    async with spec_forward_client(_port(receiver)) as client:
        pong = await client.handshake(username=app.profile.slug, shared_key=key, password="x")
        assert pong == ["PONG", False, "username/password mismatch", "", ""]
    assert await receiver.apps.chunk_count(app) == 0


async def test_another_apps_key_cannot_write_to_this_app(receiver: Any) -> None:
    mine, _ = await _app_with_key(receiver)
    _, other_key = await _app_with_key(receiver)
    async with spec_forward_client(_port(receiver)) as client:
        pong = await client.handshake(
            username=mine.profile.slug, shared_key=other_key, password=other_key
        )
        assert pong[1] is False
    assert await receiver.apps.chunk_count(mine) == 0


async def test_an_app_without_a_forward_key_is_refused_by_name(receiver: Any) -> None:
    app = await receiver.apps.register()
    async with spec_forward_client(_port(receiver)) as client:
        pong = await client.handshake(username=app.profile.slug, shared_key="k", password="k")
        assert pong[1] is False
        assert f"app '{app.profile.slug}' has no forward key" in pong[2]
        assert await client.closed_by_server()


async def test_an_unknown_username_and_a_client_that_skips_ping_are_refused(
    receiver: Any,
) -> None:
    async with spec_forward_client(_port(receiver)) as client:
        pong = await client.handshake(username="no-such-app", shared_key="k", password="k")
        assert pong == ["PONG", False, "username/password mismatch", "", ""]
    async with spec_forward_client(_port(receiver)) as client:
        helo = await client.read()
        assert helo[0] == "HELO"
        assert set(helo[1]) == {"nonce", "auth", "keepalive"}
        assert len(helo[1]["nonce"]) == 16
        await client.send(["web", 1700000000, {"n": 1}, {"chunk": "no-ping"}])
        pong = await client.read()
        assert pong[:2] == ["PONG", False]
        assert await client.closed_by_server()


async def test_the_plain_port_never_sends_helo(receiver: Any) -> None:
    """fluent-logger-golang reads only acks: an unsolicited HELO would be a bad ack."""
    app, _ = await _app_with_key(receiver)
    async with spec_forward_client(receiver.settings.forward_port) as client:
        await client.send([f"{app.secret}.web", 1700000000, {"n": 1}, {"chunk": "c"}])
        assert await client.read() == {"ack": "c"}


async def test_a_new_forward_key_or_a_deactivation_ends_an_open_session(receiver: Any) -> None:
    app, key = await _app_with_key(receiver)
    async with spec_forward_client(_port(receiver)) as client:
        pong = await client.handshake(username=app.profile.slug, shared_key=key, password=key)
        assert pong[1] is True
        rotated = InstallationKey(INSTALLATION_KEY).seal(secrets.token_urlsafe(32))
        await receiver.apps.publish(app.profile.model_copy(update={"forward_key_sealed": rotated}))
        await client.send(["web", 1700000000, {"n": 1}, {"chunk": "after-rotation"}])
        assert await client.closed_by_server()
    assert await receiver.apps.chunk_count(app) == 0
