"""Random credentials and their stored form: tokens, secrets and password hashes.

Tokens and app secrets are long random strings, so a fast SHA-256 is what
is stored (see barito_common.schemas.hash_secret); passwords are chosen by
people and get argon2.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from barito_common.schemas import hash_secret

__all__ = [
    "hash_password",
    "hash_token",
    "new_app_secret",
    "new_token",
    "password_needs_rehash",
    "verify_password",
]

_hasher = PasswordHasher()

# A hash that no password matches, verified when the email is unknown so that
# a login takes as long whether or not the account exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def new_token(prefix: str) -> str:
    """A credential like ``bt_...``: the prefix tells a reader (and scanners) what it is."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def new_app_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hash_secret(token)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
