"""Secrets a service must hold in plain, kept sealed under the installation's key.

The fluentd forward protocol's handshake proves a shared key by hashing it
with the server's nonce, so the server needs the key itself, not a hash of
it (unlike app secrets, which are kept only as SHA-256). Such a key is
stored and carried sealed: the market seals it before writing it to its
database or an app profile, and only the services given the installation
key (``BARITO_INSTALLATION_KEY``, or ``..._FILE``) open it, in memory.

The installation key is any string of at least 32 characters (e.g.
``openssl rand -base64 48``); an encryption key is derived from it with
HKDF-SHA256, and sealing is Fernet (AES-128-CBC with HMAC-SHA256, a random
IV per token)::

    key = InstallationKey(settings.installation_key)
    sealed = key.seal("forward shared key")
    assert key.open(sealed) == "forward shared key"

A token sealed under another installation key, or changed in transit, does
not open: :class:`SealedSecretError`.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

__all__ = ["MIN_INSTALLATION_KEY_CHARS", "InstallationKey", "SealedSecretError"]

MIN_INSTALLATION_KEY_CHARS = 32
# Fixed: the key's purpose, so a key derived here is never the same as one
# derived from the same installation key for another purpose later.
_PURPOSE = b"barito sealed secrets v1"


class SealedSecretError(ValueError):
    """A sealed token that does not open under this installation key."""


class InstallationKey:
    def __init__(self, secret: SecretStr | str) -> None:
        text = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if len(text) < MIN_INSTALLATION_KEY_CHARS:
            raise ValueError(
                f"the installation key must be at least {MIN_INSTALLATION_KEY_CHARS} characters"
            )
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
            text.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as err:
            raise SealedSecretError(
                "a sealed secret does not open under this installation key (sealed under "
                "another one, or changed)"
            ) from err
