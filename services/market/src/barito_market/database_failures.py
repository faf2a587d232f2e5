"""Why the market could not get into its database, named so an operator knows what to fix.

A failed connection surfaces as a driver error several wrappings deep
(SQLAlchemy's, around the driver adapter's, around asyncpg's), or as a bare
TLS or socket error. :func:`explain_connect_failures` makes every connection
an engine opens that fails raise :class:`DatabaseUnreachable` instead, with
one sentence from :func:`describe_failure` (pure):

* a wrong password: ``Postgres refused the password of user barito at 10.0.0.5:5432``;
* a CA the market does not trust:
  ``certificate of 10.0.0.5:5432 is not signed by a CA in /etc/barito/pg-ca.pem``;
* a certificate for other names: ``certificate of db:5432 does not name host 'db'``;
* a plain-text client against a TLS-only server: ``Postgres requires TLS: set
  database.ssl_mode ...``, and TLS against a server without it;
* an unknown database, a refused connection, a server starting or full.

The start-up migration, ``/readyz`` and ``barito-market-admin`` all connect
through the engine, so each says the same sentence. The error is a
:class:`sqlalchemy.exc.DisconnectionError`: whoever retries while the
database is away (the consumers) retries this too, since a fixed password or
CA lets the same work through.
"""

from __future__ import annotations

import ssl
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

from barito_common.settings import DatabaseSettings

__all__ = ["DatabaseUnreachable", "describe_failure", "explain_connect_failures"]

# OpenSSL's verify codes (X509_V_ERR_*) for a chain that ends at no trusted CA.
_UNTRUSTED_CHAIN = frozenset({2, 18, 19, 20, 21})
_NAME_MISMATCH = frozenset({62, 64})  # hostname mismatch, IP address mismatch
_EXPIRED, _NOT_YET_VALID = 10, 9
# Postgres' SQLSTATEs of a refused connection.
_WRONG_PASSWORD = "28P01"
_REFUSED_BY_HBA = "28000"
_NO_SUCH_DATABASE = "3D000"
_TOO_MANY_CONNECTIONS = "53300"
_STARTING_OR_STOPPING = frozenset({"57P01", "57P02", "57P03"})


class DatabaseUnreachable(sa_exc.DisconnectionError):
    """The market cannot open a connection to its database; the message says why."""


def describe_failure(err: BaseException, *, address: str, user: str, tls: DatabaseSettings) -> str:
    """One sentence for what ``err`` (raised connecting to ``address`` as ``user``) means.

    >>> describe_failure(ConnectionRefusedError(111, "refused"), address="db:5432",
    ...                  user="barito", tls=DatabaseSettings())
    'db:5432 refused the connection (is Postgres running, is this its port?)'
    """
    telling = _telling(err)
    if isinstance(telling, ssl.SSLCertVerificationError):
        return _certificate_failure(telling, address, tls)
    if isinstance(telling, ssl.SSLError):
        return f"TLS handshake with Postgres at {address} failed: {telling.reason or telling}"
    sqlstate = getattr(telling, "sqlstate", None)
    words = _server_words(telling)
    if sqlstate == _WRONG_PASSWORD:
        return f"Postgres refused the password of user {user} at {address}: {words}"
    if sqlstate == _REFUSED_BY_HBA and words.endswith("no encryption"):
        return (
            f"Postgres requires TLS: set database.ssl_mode (require, verify-ca or verify-full); "
            f"{address} refuses a plain-text connection"
        )
    if sqlstate == _REFUSED_BY_HBA:
        return f"Postgres at {address} does not admit user {user} from here (pg_hba.conf): {words}"
    if sqlstate == _NO_SUCH_DATABASE:
        return f"Postgres at {address} has no such database: {words}"
    if sqlstate == _TOO_MANY_CONNECTIONS:
        return f"Postgres at {address} takes no more connections: {words}"
    if sqlstate in _STARTING_OR_STOPPING:
        return f"Postgres at {address} is starting or shutting down: {words}"
    if isinstance(telling, ConnectionError) and "rejected SSL upgrade" in str(telling):
        return (
            f"Postgres at {address} does not speak TLS, but database.ssl_mode is "
            f"{tls.ssl_mode} (turn ssl on in the server, or set database.ssl_mode disable)"
        )
    if isinstance(telling, ConnectionRefusedError):
        return f"{address} refused the connection (is Postgres running, is this its port?)"
    if isinstance(telling, TimeoutError):
        return f"Postgres at {address} did not answer in time"
    if isinstance(telling, OSError):
        reason = telling.strerror or str(telling) or type(telling).__name__
        return f"cannot reach Postgres at {address}: {reason}"
    return f"cannot connect to Postgres at {address}: {words}"


def _telling(err: BaseException) -> BaseException:
    """The error in ``err``'s chain that says most: the driver's own, or a TLS or socket one."""
    link: BaseException | None = err
    seen: set[int] = set()
    while link is not None and id(link) not in seen:
        if isinstance(link, OSError) or isinstance(getattr(link, "sqlstate", None), str):
            return link
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return err


def _server_words(err: BaseException) -> str:
    return str(err.args[0]) if err.args else type(err).__name__


def _certificate_failure(
    err: ssl.SSLCertVerificationError, address: str, tls: DatabaseSettings
) -> str:
    trusted = f"a CA in {tls.ssl_cafile}" if tls.ssl_cafile else "a CA of the system's trust store"
    detail = err.verify_message or str(err)
    if err.verify_code in _UNTRUSTED_CHAIN:
        return f"certificate of {address} is not signed by {trusted} ({detail})"
    if err.verify_code in _NAME_MISMATCH:
        host = address.rsplit(":", 1)[0]
        return (
            f"certificate of {address} does not name host {host!r}: verify-full checks the "
            "name dialled (dial a name the certificate holds, or use ssl_mode verify-ca)"
        )
    if err.verify_code in (_EXPIRED, _NOT_YET_VALID):
        return f"certificate of {address} is not valid now: {detail}"
    return f"certificate of {address} failed verification: {detail}"


def explain_connect_failures(engine: AsyncEngine, tls: DatabaseSettings) -> None:
    """Make each connection ``engine`` fails to open raise :class:`DatabaseUnreachable`."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as err:
            address = f"{cparams.get('host')}:{cparams.get('port', 5432)}"
            reason = describe_failure(err, address=address, user=cparams.get("user", ""), tls=tls)
            raise DatabaseUnreachable(reason) from err
