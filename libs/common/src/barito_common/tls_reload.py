"""A listener's TLS certificate, picked up again when its files are replaced.

A certificate is renewed by replacing its files: cert-manager updates a
Secret and the kubelet swaps the mounted files by a symlink, or an operator
copies a new pair in place. :class:`ReloadingCertificate` notices and serves
the new pair to new connections, with no restart; open connections keep the
certificate they were made with.

How: the listening socket's :class:`ssl.SSLContext` carries an
``sni_callback``, which OpenSSL calls on every ClientHello (with or without
a server name, so also for clients that dial an IP address). The callback
points the new connection at the current context, built whole from the files
(``connection.context = current``, the way a server picks a certificate per
host name). A renewal therefore never touches a context in use: either a new
context loads completely, or the previous one goes on serving and an error
naming the files is logged.

No thread or task polls: the callback itself looks at the files (``stat``,
no read) at most every ``check_interval_s``, so a renewal is served from the
first handshake that starts that long after it. Everything runs on the event
loop's thread, where handshakes happen.

Example, with uvicorn (the service's port also answers plain HTTP with a
400, :mod:`barito_common.tls_sniffing`)::

    certificate = ReloadingCertificate("tls.crt", "tls.key")
    certificate.context()  # fails now if the files do not load
    uvicorn.run(app, http=tls_sniffing_protocol(certificate.context))
"""

from __future__ import annotations

import logging
import os
import ssl
import time
from typing import Any

__all__ = ["DEFAULT_CHECK_INTERVAL_S", "ReloadingCertificate"]

log = logging.getLogger(__name__)

# A renewal is due weeks before expiry; seconds of delay cost nothing, and a
# stat of two files per handshake burst at most this often costs nothing either.
DEFAULT_CHECK_INTERVAL_S = 5.0

# What identifies one version of a file: a symlink swap changes the inode,
# a copy in place the modification time or size.
_FileVersion = tuple[int, int, int, int]


def _version(path: str) -> _FileVersion:
    found = os.stat(path)  # follows the symlinks a Secret volume is made of
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)


class ReloadingCertificate:
    """A certificate chain and key that new TLS connections always get the latest of."""

    def __init__(
        self,
        certfile: str,
        keyfile: str,
        *,
        check_interval_s: float = DEFAULT_CHECK_INTERVAL_S,
    ) -> None:
        self.certfile = certfile
        self.keyfile = keyfile
        self.check_interval_s = check_interval_s
        self._listening: ssl.SSLContext | None = None
        self._current: ssl.SSLContext | None = None
        self._loaded_version: tuple[_FileVersion, _FileVersion] | None = None
        self._tried_version: tuple[_FileVersion, _FileVersion] | None = None
        self._next_check = 0.0

    def _build(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def context(self) -> ssl.SSLContext:
        """The listening context: loads the files now and fails if they do not load."""
        if self._listening is None:
            versions = self._versions()
            listening = self._build()
            listening.sni_callback = self._on_client_hello
            self._listening = self._current = listening
            self._loaded_version = self._tried_version = versions
            self._next_check = time.monotonic() + self.check_interval_s
        return self._listening

    def current(self) -> ssl.SSLContext:
        """The context new connections get now, after looking at the files if a check is due."""
        self._check_if_due()
        if self._current is None:
            raise RuntimeError("context() first: the listener builds the first context at start-up")
        return self._current

    def _versions(self) -> tuple[_FileVersion, _FileVersion]:
        return _version(self.certfile), _version(self.keyfile)

    def _on_client_hello(
        self, connection: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _: Any
    ) -> None:
        # An exception here would end the handshake with an alert: whatever
        # goes wrong with a renewal, the client still gets a certificate.
        try:
            current = self.current()
            if current is not connection.context:
                connection.context = current
        except Exception:
            log.exception(
                "Could not give a TLS connection the current certificate.",
                extra={"ctx": {"certfile": self.certfile, "keyfile": self.keyfile}},
            )

    def _check_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.check_interval_s
        context = {"certfile": self.certfile, "keyfile": self.keyfile}
        try:
            versions = self._versions()
        except OSError as err:
            # Mid-swap or removed: keep serving what was loaded; say so once.
            if self._tried_version is not None:
                self._tried_version = None
                log.error(
                    "TLS certificate files cannot be read; the loaded certificate is still served.",
                    extra={"ctx": {**context, "error": str(err)}},
                )
            return
        if versions in (self._loaded_version, self._tried_version):
            return
        # Each new version of the files is tried once: a broken pair is
        # logged once, and a pair fixed later (the key written after the
        # certificate) is a new version again.
        self._tried_version = versions
        try:
            renewed = self._build()
        except (OSError, ssl.SSLError) as err:
            log.error(
                "The renewed TLS certificate and key do not load; the previous certificate "
                "is still served.",
                extra={"ctx": {**context, "error": str(err)}},
            )
            return
        self._current = renewed
        self._loaded_version = versions
        log.info("TLS certificate reloaded.", extra={"ctx": context})
