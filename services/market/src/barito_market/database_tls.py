"""TLS to Postgres as libpq's ``sslmode`` names it, for asyncpg.

asyncpg takes TLS as an :class:`ssl.SSLContext` (libpq's ``sslrootcert``
means nothing to it), so the market builds one from
``DatabaseSettings.ssl_mode`` and ``ssl_cafile``:

* ``disable`` — plain text, even when the server offers TLS (asyncpg would
  otherwise try TLS first, unverified, as libpq's ``prefer``);
* ``require`` — encrypted, the server's certificate not checked (unlike
  libpq, a CA file does not turn this into ``verify-ca``: say what you mean);
* ``verify-ca`` — the certificate chains to ``ssl_cafile`` (or the system's
  trust store);
* ``verify-full`` — and it names the host in the database URL.

Example::

    settings = DatabaseSettings(ssl_mode="verify-full", ssl_cafile="/tls/ca.pem")
    engine = create_async_engine(url, connect_args=tls_connect_args(url, settings))
"""

from __future__ import annotations

import ssl
from typing import Any

from barito_common.settings import DatabaseSettings

__all__ = ["DatabaseTlsError", "ssl_context", "tls_connect_args"]

# Query parameters by which a URL asks asyncpg for TLS itself.
_URL_TLS_PARAMETERS = ("ssl", "sslmode")


class DatabaseTlsError(ValueError):
    """The database's TLS settings cannot work; the message names the setting."""


def ssl_context(settings: DatabaseSettings) -> ssl.SSLContext | None:
    """The context for ``settings.ssl_mode``; None for ``disable``.

    >>> ssl_context(DatabaseSettings(ssl_mode="require")).verify_mode == ssl.CERT_NONE
    True
    """
    mode = settings.ssl_mode
    if mode == "disable":
        return None
    if mode == "require":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = _verifying_context(settings.ssl_cafile)
    context.check_hostname = mode == "verify-full"
    return context


def _verifying_context(cafile: str | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=cafile)
    except ssl.SSLError as err:  # an OSError too: caught first
        raise DatabaseTlsError(
            f"database.ssl_cafile {cafile} holds no PEM certificate: {err.reason or err}"
        ) from err
    except OSError as err:
        raise DatabaseTlsError(
            f"database.ssl_cafile {cafile} cannot be read: {err.strerror or err}"
        ) from err


def tls_connect_args(url: str, settings: DatabaseSettings) -> dict[str, Any]:
    """asyncpg's TLS argument for the database at ``url``: ``{"ssl": ...}``, or nothing.

    Nothing for SQLite, and for a URL that asks for TLS itself (``?ssl=``)
    while ssl_mode is left at ``disable``: such URLs worked before ssl_mode
    existed. A TLS mode that cannot apply raises :class:`DatabaseTlsError`.

    >>> tls_connect_args("postgresql+asyncpg://db/market", DatabaseSettings())
    {'ssl': False}
    """
    sqlite = url.startswith("sqlite")
    if settings.ssl_mode == "disable":
        return {} if sqlite or _url_asks_for_tls(url) else {"ssl": False}
    if sqlite:
        raise DatabaseTlsError(
            f"database.ssl_mode is {settings.ssl_mode}, but the database is the embedded SQLite "
            "(no database.url): TLS is for Postgres; set database.url to a "
            "postgresql+asyncpg:// URL, or database.ssl_mode to disable"
        )
    if _url_asks_for_tls(url):
        raise DatabaseTlsError(
            f"database.ssl_mode is {settings.ssl_mode}, and database.url asks for TLS itself "
            "(?ssl= or ?sslmode=): set TLS in one place, database.ssl_mode"
        )
    return {"ssl": ssl_context(settings)}


def _url_asks_for_tls(url: str) -> bool:
    _, _, query = url.partition("?")
    names = {pair.split("=", 1)[0] for pair in query.split("&") if pair}
    return any(name in names for name in _URL_TLS_PARAMETERS)
