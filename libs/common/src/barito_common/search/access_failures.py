"""Why a client could not get into the search engine, named so an operator knows what to fix.

Both engine clients report a refused TLS handshake or a dropped connection as
a "connection error" holding the cause somewhere in its chain, and a refused
password as a bare 401. :func:`describe_failure` (pure) names what went wrong:

* bad credentials: ``the engine refused the credentials of user 'barito' ...``
  or ``the API key was refused ...``;
* a CA the client does not trust:
  ``the certificate of https://search:9200 is not signed by a CA in /etc/ca.pem``;
* a certificate for another name: ``the certificate of ... does not name host 'search'``;
* an https URL at an engine that speaks plain HTTP.

An http URL at a TLS engine only shows as a dropped connection, so
:func:`diagnose` (for readiness) tries a TLS handshake on the same port to
tell that apart: ``the engine speaks TLS: use https://...``.

Example::

    reason = describe_failure(err, settings) or str(err)
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

from barito_common.settings import SearchSettings

__all__ = ["describe_failure", "diagnose"]

# OpenSSL's verify codes (X509_V_ERR_*) for a chain that ends at no trusted CA.
_UNTRUSTED_CHAIN = frozenset({2, 18, 19, 20, 21})
_NAME_MISMATCH = frozenset({62, 64})  # hostname mismatch, IP address mismatch
# What OpenSSL says when the other end answers a ClientHello in plain text.
_PLAIN_ANSWERS = ("WRONG_VERSION_NUMBER", "wrong version number", "packet length too long")


def describe_failure(err: BaseException, settings: SearchSettings) -> str | None:
    """One sentence for ``err`` (raised by the client built from ``settings``), or None
    when the client's own words are as good (e.g. an engine's 400 about a query).

    >>> from barito_common.settings import SearchSettings
    >>> err = type("AuthenticationException", (Exception,), {"status_code": 401})()
    >>> describe_failure(err, SearchSettings(username="barito", password="x"))
    'the engine refused the credentials of user barito (wrong password, or no such user)'
    """
    if getattr(err, "status_code", None) == 401:
        return _refused_credentials(settings)
    links = list(_chain(err))
    # Elasticsearch's transport errors print "TLS error" and keep the cause in .message.
    text = " ".join(f"{link} {getattr(link, 'message', '')}" for link in links)
    url = _origin(settings.url)
    if "CERTIFICATE_VERIFY_FAILED" in text or any(
        isinstance(link, ssl.SSLCertVerificationError) for link in links
    ):
        # aiohttp's wrapper is an SSLCertVerificationError too, without the code.
        codes = (getattr(link, "verify_code", None) for link in links)
        return _certificate_failure(next((c for c in codes if c), None), text, settings, url)
    if settings.url.lower().startswith("https://") and any(w in text for w in _PLAIN_ANSWERS):
        return (
            f"TLS against a plain-HTTP engine: {url} answers in plain text, not TLS "
            "(use http://, or turn TLS on at the engine)"
        )
    return None


def _refused_credentials(settings: SearchSettings) -> str:
    if settings.api_key is not None:
        return "the API key was refused (invalid, expired or revoked)"
    if settings.username is not None:
        return (
            f"the engine refused the credentials of user {settings.username} "
            "(wrong password, or no such user)"
        )
    return (
        "the engine requires credentials: set username and password (or api_key, on Elasticsearch)"
    )


def _certificate_failure(code: int | None, text: str, settings: SearchSettings, url: str) -> str:
    trusted = f"a CA in {settings.ssl_cafile}" if settings.ssl_cafile else "a CA the system trusts"
    host = urlsplit(settings.url).hostname or url
    if code in _NAME_MISMATCH or "mismatch" in text:
        return (
            f"the certificate of {url} does not name host {host!r}: it is for other names "
            "(dial a name it holds, or turn ssl_check_hostname off)"
        )
    if (
        code in _UNTRUSTED_CHAIN
        or "issuer" in text
        or "self-signed" in text
        or "self signed" in text
    ):
        return f"the certificate of {url} is not signed by {trusted} (certificate verify failed)"
    return f"the certificate of {url} was refused: {text}"


def _chain(err: BaseException) -> Iterator[BaseException]:
    """``err`` and what it wraps: causes, and the clients' and aiohttp's own wrappings."""
    pending: list[object] = [err]
    seen: set[int] = set()
    while pending:
        link = pending.pop()
        if not isinstance(link, BaseException) or id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        # .info: opensearch-py's wrapped exception; .errors: elastic-transport's;
        # .certificate_error / .os_error: aiohttp's connector errors.
        pending += [link.__cause__, link.__context__, getattr(link, "info", None)]
        pending += [getattr(link, "certificate_error", None), getattr(link, "os_error", None)]
        wrapped = getattr(link, "errors", ())
        if isinstance(wrapped, tuple):
            pending += list(wrapped)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


async def diagnose(settings: SearchSettings, *, timeout_s: float) -> str | None:
    """For an http URL whose connection was dropped: the sentence if the engine speaks TLS."""
    parts = urlsplit(settings.url)
    if parts.scheme != "http" or parts.hostname is None:
        return None
    # Only "does a TLS server answer at all": whom it proves to be does not matter here.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(
                parts.hostname, parts.port or 80, ssl=context
            )
    except (OSError, TimeoutError):
        return None
    # Aborted, not closed: a TLS close waits for the engine's close_notify,
    # which OpenSearch does not send to a client that sent no request.
    writer.transport.abort()
    https = settings.url.replace("http://", "https://", 1)
    return f"the engine speaks TLS: use {_origin(https)} (the URL says http://)"
