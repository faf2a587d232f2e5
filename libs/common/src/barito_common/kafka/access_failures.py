"""Why a client could not get into Kafka, named so an operator knows what to fix.

aiokafka reports every failed bootstrap the same way — ``Unable to bootstrap
from [...]`` — and only logs the reason. So when a client cannot get in,
:func:`diagnose` dials the bootstrap brokers once more by hand, with the same
settings, and :func:`describe_failure` (pure) turns what that raised into one
sentence:

* bad credentials: ``authentication failed for user 'alice' (SCRAM-SHA-512): ...``;
* a CA the client does not trust:
  ``certificate verify failed: unknown CA (ssl_cafile /etc/kafka/ca.pem) ...``;
* a certificate for another name: ``certificate does not name host 'kafka-1' ...``;
* a plaintext client against a TLS listener, or TLS against a plaintext one
  (told apart by a second, bare attempt in the other protocol);
* a SASL mechanism the brokers do not offer, a refused connection, no answer.

Example::

    reason = await diagnose(settings.kafka, timeout_s=3)
    if reason is not None:
        log.warning("Kafka refuses us.", extra={"ctx": {"error": reason}})
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass

from aiokafka.conn import collect_hosts, create_conn
from aiokafka.errors import (
    IllegalSaslStateError,
    KafkaConnectionError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.protocol.metadata import MetadataRequest

from barito_common.kafka.clients import security_options
from barito_common.settings import KafkaSettings

__all__ = ["ListenerSpeaks", "describe_failure", "diagnose"]

# OpenSSL's verify codes (X509_V_ERR_*) for a chain that ends at no trusted CA.
_UNTRUSTED_CHAIN = frozenset({18, 19, 20, 21, 2})  # self-signed, local issuer unknown, ...
_NAME_MISMATCH = frozenset({62, 64})  # hostname mismatch, IP address mismatch
_EXPIRED, _NOT_YET_VALID = 10, 9
_CLIENT_CERTIFICATE_ALERTS = frozenset(
    {
        "SSLV3_ALERT_BAD_CERTIFICATE",
        "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        "TLSV1_ALERT_UNKNOWN_CA",
        "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    }
)


@dataclass(frozen=True)
class ListenerSpeaks:
    """What a second, bare attempt learnt of the listener: TLS, plain Kafka, or neither."""

    tls: bool = False
    plaintext: bool = False


def describe_failure(
    err: BaseException,
    settings: KafkaSettings,
    address: str,
    *,
    listener: ListenerSpeaks | None = None,
) -> str:
    """One sentence for what ``err`` (raised dialling ``address`` with ``settings``) means.

    ``listener`` is what :func:`diagnose` found when it tried the other
    protocol; with it a closed connection becomes a protocol mismatch.

    >>> from barito_common.settings import KafkaSettings
    >>> describe_failure(ConnectionRefusedError(111, "refused"), KafkaSettings(), "k:9092")
    'k:9092 refused the connection (is Kafka running, is this its port?)'
    """
    listener = listener or ListenerSpeaks()
    err = _telling(err)
    if settings.uses_tls and listener.plaintext:
        return (
            f"TLS against a plaintext listener: {address} speaks plain Kafka, "
            f"but security_protocol is {settings.security_protocol} "
            "(use the brokers' TLS listener, or PLAINTEXT/SASL_PLAINTEXT)"
        )
    if not settings.uses_tls and listener.tls:
        return (
            f"a plaintext client against a TLS listener: {address} speaks TLS, "
            f"but security_protocol is {settings.security_protocol} (use SSL or SASL_SSL)"
        )
    if isinstance(err, ssl.SSLCertVerificationError):
        return _certificate_failure(err, settings, address)
    if isinstance(err, SaslAuthenticationFailed):
        return (
            f"authentication failed for user {settings.sasl_username!r} "
            f"({settings.sasl_mechanism}) at {address}: {_broker_words(err)}"
        )
    if isinstance(err, UnsupportedSaslMechanismError):
        return f"{address} does not offer SASL {settings.sasl_mechanism}: {_broker_words(err)}"
    if isinstance(err, IllegalSaslStateError):
        return (
            f"{address} does not expect SASL here: its listener is not a SASL one, "
            f"but security_protocol is {settings.security_protocol}"
        )
    if isinstance(err, ssl.SSLError):
        return _tls_failure(err, settings, address)
    if isinstance(err, ConnectionRefusedError):
        return f"{address} refused the connection (is Kafka running, is this its port?)"
    if isinstance(err, TimeoutError):
        return f"{address} did not answer in time"
    if isinstance(err, OSError):
        return f"cannot reach {address}: {err.strerror or str(err) or type(err).__name__}"
    if isinstance(err, KafkaConnectionError) and settings.security_protocol == "SSL":
        # TLS went through (no TLS error), then the broker hung up on the
        # first request past the version lookup: what a SASL_SSL listener does.
        return (
            f"{address} closed the connection after the TLS handshake: its listener "
            "probably expects SASL (security_protocol SASL_SSL), but security_protocol is SSL"
        )
    if isinstance(err, KafkaConnectionError):
        return f"{address} closed the connection: {err}"
    return f"{address}: {err!r}"


def _telling(err: BaseException) -> BaseException:
    """The error in ``err``'s chain that says most: aiokafka wraps a failed read
    (a TLS alert, say) into "Connection ... closed"."""
    link: BaseException | None = err
    seen: set[int] = set()
    while link is not None and id(link) not in seen:
        if isinstance(link, (ssl.SSLError, SaslAuthenticationFailed)):
            return link
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return err


def _tls_failure(err: ssl.SSLError, settings: KafkaSettings, address: str) -> str:
    reason = str(err.reason or "")
    # Alerts a broker sends about our own certificate (mutual TLS): Kafka's
    # JDK answers a missing one with bad_certificate, TLS 1.3 may say
    # certificate_required.
    if reason in _CLIENT_CERTIFICATE_ALERTS:
        if settings.ssl_certfile is None:
            return f"{address} requires a client certificate (set ssl_certfile and ssl_keyfile)"
        return (
            f"{address} refused our client certificate (ssl_certfile {settings.ssl_certfile}): "
            f"{reason}; is it signed by a CA the brokers trust?"
        )
    return f"TLS handshake with {address} failed: {reason or err}"


def _certificate_failure(
    err: ssl.SSLCertVerificationError, settings: KafkaSettings, address: str
) -> str:
    trusted = (
        f"ssl_cafile {settings.ssl_cafile}" if settings.ssl_cafile else "the system's trust store"
    )
    detail = err.verify_message or str(err)
    if err.verify_code in _UNTRUSTED_CHAIN:
        return (
            f"certificate verify failed: unknown CA ({trusted} does not hold the CA "
            f"that signed the certificate of {address}: {detail})"
        )
    if err.verify_code in _NAME_MISMATCH:
        host = address.rsplit(":", 1)[0]
        return (
            f"certificate does not name host {host!r}: the certificate of {address} "
            "is for other names (dial a name it holds, or turn ssl_check_hostname off)"
        )
    if err.verify_code in (_EXPIRED, _NOT_YET_VALID):
        return f"certificate verify failed: the certificate of {address} {detail}"
    return f"certificate verify failed for {address}: {detail}"


def _broker_words(err: BaseException) -> str:
    # aiokafka's broker errors carry the broker's own message as their first argument.
    words = " ".join(str(arg) for arg in err.args if arg).strip()
    return words or type(err).__name__


async def diagnose(settings: KafkaSettings, *, timeout_s: float) -> str | None:
    """Why ``settings`` cannot get into the brokers, or None when a broker lets them in.

    Each bootstrap broker is dialled in turn; the reason given is that of the
    first one that could be reached at all (a refused or silent broker says
    less than one that refused our credentials), else that of the first.
    """
    reasons: list[tuple[bool, str]] = []
    for host, port, _family in collect_hosts(settings.bootstrap_servers, randomize=False):
        address = f"{host}:{port}"
        try:
            async with asyncio.timeout(timeout_s):
                await _dial(settings, host, port)
        except Exception as err:
            listener = await _other_protocol(err, settings, host, port, timeout_s=timeout_s)
            reason = describe_failure(err, settings, address, listener=listener)
            # Refused, silent or unresolvable: an OSError that is not a TLS one.
            unreached = isinstance(err, OSError) and not isinstance(err, ssl.SSLError)
            reasons.append((unreached and listener in (None, ListenerSpeaks()), reason))
        else:
            return None
    # sorted() is stable: the first reached broker's reason, else the first reason.
    return sorted(reasons, key=lambda reason: reason[0])[0][1] if reasons else None


async def _dial(settings: KafkaSettings, host: str, port: int) -> None:
    """Connect, authenticate and read the cluster's metadata, as a client's bootstrap does."""
    conn = await create_conn(
        host,
        port,
        client_id=settings.client_id,
        request_timeout_ms=settings.request_timeout_ms,
        **security_options(settings),
    )
    try:
        await conn.send(MetadataRequest([]))
    finally:
        conn.close()


async def _other_protocol(
    err: BaseException, settings: KafkaSettings, host: str, port: int, *, timeout_s: float
) -> ListenerSpeaks | None:
    """For a connection that broke without saying why: does the listener speak the other protocol?

    A verified certificate, a broker's answer or a refused connection already
    say what is wrong; only a closed or reset connection, a silent listener or
    a failed TLS handshake may mean the two ends speak different protocols.
    """
    telling = _telling(err)
    answered = isinstance(
        telling,
        (
            ssl.SSLCertVerificationError,
            SaslAuthenticationFailed,
            UnsupportedSaslMechanismError,
            ConnectionRefusedError,
        ),
    )
    # A TLS alert is the broker's TLS speaking: the protocols match.
    alerted = isinstance(telling, ssl.SSLError) and "ALERT" in str(telling.reason)
    if answered or alerted:
        return None
    with contextlib.suppress(Exception):
        async with asyncio.timeout(min(timeout_s, 2.0)):
            if settings.uses_tls:
                return ListenerSpeaks(plaintext=await _speaks_plain_kafka(host, port))
            return ListenerSpeaks(tls=await _speaks_tls(host, port))
    return None


async def _speaks_tls(host: str, port: int) -> bool:
    # Only "does a TLS server answer at all": whom it proves to be does not matter here.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        _reader, writer = await asyncio.open_connection(host, port, ssl=context)
    except (OSError, ssl.SSLError):
        return False
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    return True


async def _speaks_plain_kafka(host: str, port: int) -> bool:
    try:
        conn = await create_conn(host, port, request_timeout_ms=2_000)
    except Exception:
        return False
    conn.close()
    return True
