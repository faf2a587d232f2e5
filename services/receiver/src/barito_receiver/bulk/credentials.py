"""The app secret, from the credentials Elasticsearch clients send.

Agents configured for Elasticsearch authenticate the ways it takes, and all of
them end at the same app secret:

* ``Authorization: Basic base64(user:secret)``: the password is the app secret;
  the user name is not checked (the app slug reads well in a config);
* ``Authorization: ApiKey base64(id:secret)``: the key is the app secret, the id
  is not checked; a value that is not such a pair is taken as the secret itself,
  since rsyslog and Fluent Bit send their ``apikey`` setting verbatim;
* Barito's own ``X-App-Secret``, ``Authorization: Bearer`` and group secret
  headers, which win over the above when both are sent.

    >>> from starlette.datastructures import Headers
    >>> secret_of(Headers({"authorization": "Basic c2hvcDpzM2NyZXQ="}))
    's3cret'
    >>> secret_of(Headers({"authorization": "ApiKey aWQ6czNjcmV0"}))
    's3cret'

Whatever is sent, the app is the one the secret names; the index a request
names plays no part (see :mod:`barito_receiver.auth`).
"""

from __future__ import annotations

import base64
import binascii
from typing import NoReturn

from starlette.datastructures import Headers

from barito_common.app_registry import AppRegistry
from barito_common.errors import ApiError
from barito_common.schemas import AppProfile
from barito_receiver.auth import authenticate

__all__ = ["HOW_TO_AUTHENTICATE", "authenticate_client", "secret_of"]

HOW_TO_AUTHENTICATE = (
    "send the app secret as the basic-auth password (any user name, e.g. the app slug), "
    "as an API key (id:secret, any id), or in X-App-Secret"
)
_BARITO_HEADERS = ("x-app-secret", "x-app-group-secret")


def authenticate_client(
    registry: AppRegistry, headers: Headers, *, path: str, retry_after_s: int
) -> AppProfile:
    """The active app the request's credentials name, or ``ApiError`` 401/403/409/503."""
    if any(name in headers for name in _BARITO_HEADERS):
        return authenticate(registry, headers, retry_after_s=retry_after_s)
    scheme = headers.get("authorization", "").partition(" ")[0].lower()
    if scheme == "bearer":
        return authenticate(registry, headers, retry_after_s=retry_after_s)
    secret = secret_of(headers)
    if secret is None:
        raise ApiError(
            401,
            f"missing authentication credentials for REST request [{path}]: {HOW_TO_AUTHENTICATE}",
        )
    return authenticate(registry, Headers({"x-app-secret": secret}), retry_after_s=retry_after_s)


def secret_of(headers: Headers) -> str | None:
    """The secret of a Basic or ApiKey ``Authorization``; None without one."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "basic":
        pair = _decoded(value)
        if pair is None or ":" not in pair:
            raise ApiError(401, "The Basic credentials are not base64 of user:password.")
        return pair.partition(":")[2] or _empty("basic-auth password")
    if scheme == "apikey":
        if not value:
            return _empty("API key")
        pair = _decoded(value)
        if pair is not None and ":" in pair:
            return pair.partition(":")[2] or _empty("API key")
        return value
    return None


def _decoded(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _empty(what: str) -> NoReturn:
    raise ApiError(401, f"The {what} is empty: {HOW_TO_AUTHENTICATE}.")
