"""The forward protocol's shared-key handshake (HELO, PING, PONG), server side.

Only on the listener's handshake port: an unsolicited HELO would break
loggers that read nothing but acks. The server speaks first::

    server  ["HELO", {"nonce": <16 bytes>, "auth": <16 bytes>, "keepalive": true}]
    client  ["PING", hostname, salt, sha512_hex(salt|hostname|nonce|shared_key),
             username, sha512_hex(auth|username|password)]
    server  ["PONG", true, "", server_hostname, sha512_hex(salt|server_hostname|nonce|key)]
            or ["PONG", false, reason, "", ""] and a close

Here the username is the app's slug and both the shared key and the password
are the app's forward key (its profile's ``forward_key_sealed``, opened with
the installation key, in memory only). The digests are over raw bytes: the
salt is 32 hex characters from fluentd but 16 raw bytes packed as str from
Fluent Bit, which the stream's surrogateescape decoding gives back exactly.

    >>> shake = Handshake(server_hostname="receiver", nonce=b"n" * 16, auth=b"a" * 16)
    >>> ping = Ping(b"client", b"s", digest(b"s", b"client", b"n" * 16, "key"), "app",
    ...             digest(b"a" * 16, b"app", b"key"))
    >>> shake.mismatch(ping, "key") is None
    True
    >>> shake.mismatch(ping, "other key")
    'shared_key mismatch'
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

import msgpack

from barito_common.app_registry import AppRegistry
from barito_common.installation_key import InstallationKey, SealedSecretError
from barito_common.schemas import AppProfile
from barito_receiver.forward.apps import refusal_of
from barito_receiver.forward.requests import raw_bytes

__all__ = ["Handshake", "HandshakeRefused", "Ping", "digest", "forward_key", "parse_ping"]

_PACKER = msgpack.Packer(use_bin_type=True)


class HandshakeRefused(Exception):
    """The PING is refused; ``str(err)`` is the PONG's reason (never a key)."""


@dataclass(frozen=True)
class Ping:
    hostname: bytes
    salt: bytes
    shared_key_digest: str
    username: str
    password_digest: str


def digest(*parts: bytes | str) -> str:
    """Lowercase hex SHA-512 over the parts' bytes, concatenated."""
    sha = hashlib.sha512()
    for part in parts:
        sha.update(part.encode() if isinstance(part, str) else part)
    return sha.hexdigest()


def parse_ping(value: Any) -> Ping:
    if not (isinstance(value, list) and value and value[0] == "PING"):
        raise HandshakeRefused("the first message after HELO must be PING")
    if len(value) != 6 or not all(isinstance(item, (str, bytes)) for item in value[1:]):
        raise HandshakeRefused("PING must be [PING, hostname, salt, digest, username, digest]")
    _, hostname, salt, shared_key_digest, username, password_digest = value
    return Ping(
        raw_bytes(hostname),
        raw_bytes(salt),
        raw_bytes(shared_key_digest).decode("ascii", "replace"),
        raw_bytes(username).decode("utf-8", "replace"),
        raw_bytes(password_digest).decode("ascii", "replace"),
    )


@dataclass
class Handshake:
    server_hostname: str
    nonce: bytes = field(default_factory=lambda: os.urandom(16))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def helo(self) -> bytes:
        options = {"nonce": self.nonce, "auth": self.auth, "keepalive": True}
        return _PACKER.pack(["HELO", options])  # type: ignore[no-any-return]

    def mismatch(self, ping: Ping, key: str) -> str | None:
        """Why the PING's digests do not prove ``key``, or None when both do."""
        shared = digest(ping.salt, ping.hostname, self.nonce, key)
        if not hmac.compare_digest(shared.encode(), ping.shared_key_digest.encode()):
            return "shared_key mismatch"
        password = digest(self.auth, ping.username, key)
        if not hmac.compare_digest(password.encode(), ping.password_digest.encode()):
            return "username/password mismatch"
        return None

    def pong(self, ping: Ping, key: str) -> bytes:
        # fluentd refuses a PONG naming its own hostname (a loop to itself).
        hostname = self.server_hostname
        if hostname.encode() == ping.hostname:
            hostname = f"{hostname} (barito receiver)"
        proof = digest(ping.salt, hostname, self.nonce, key)
        return _PACKER.pack(["PONG", True, "", hostname, proof])  # type: ignore[no-any-return]

    @staticmethod
    def refusal(reason: str) -> bytes:
        return _PACKER.pack(["PONG", False, reason, "", ""])  # type: ignore[no-any-return]


def forward_key(
    registry: AppRegistry, installation: InstallationKey | None, username: str
) -> tuple[AppProfile, str]:
    """The app named by the PING's username, and its forward key, opened in memory.

    Raises :class:`HandshakeRefused` with the PONG's reason.
    """
    if installation is None:
        raise HandshakeRefused("this receiver has no installation key; the handshake is off")
    profile = registry.by_slug(username)
    if profile is None:
        raise HandshakeRefused("username/password mismatch")
    refused = refusal_of(profile)
    if refused is not None:
        raise HandshakeRefused(refused)
    if profile.forward_key_sealed is None:
        raise HandshakeRefused(
            f"app '{profile.slug}' has no forward key; create one in the market first"
        )
    try:
        return profile, installation.open(profile.forward_key_sealed)
    except SealedSecretError as err:
        raise HandshakeRefused(
            f"app '{profile.slug}''s forward key does not open under this installation key"
        ) from err
