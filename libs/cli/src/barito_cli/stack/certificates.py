"""Certificates made on the machine (``trustme``): a CA of its own and what it signs.

The secured local stack (``barito stack up --secure``) and the tests' secured
engines and listeners get their server certificates from one such CA; a
client trusts that CA's file and nothing else. A CA made in a directory is
kept there (``ca.pem`` and ``ca-key.pem``), so a stack started again serves
certificates its clients already trust. ``CertificateAuthority(tmp)`` made
elsewhere is a CA no one trusts, for the "unknown CA" failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization

__all__ = ["CertificateAuthority", "ServerCertificate"]


@dataclass(frozen=True)
class ServerCertificate:
    """PEM files of one server (or client) certificate: its chain and its key."""

    certfile: Path
    keyfile: Path


class CertificateAuthority:
    """A CA whose certificate is ``<directory>/ca.pem``, made once per directory."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._directory = directory
        self.cafile = directory / "ca.pem"
        ca_key = directory / "ca-key.pem"
        if self.cafile.exists() and ca_key.exists():
            self._ca = trustme.CA.from_pem(self.cafile.read_bytes(), ca_key.read_bytes())
        else:
            # RSA: every engine here reads it (Kafka's PEM key store, Postgres, uvicorn).
            self._ca = trustme.CA(key_type=trustme.KeyType.RSA)
            self._ca.private_key_pem.write_to_path(str(ca_key))
            ca_key.chmod(0o600)
            self._ca.cert_pem.write_to_path(str(self.cafile))

    def issue(self, name: str, *hosts: str) -> ServerCertificate:
        """A certificate for ``hosts`` (default: 127.0.0.1 and localhost), as files ``name``.*."""
        certificate = self._ca.issue_cert(*(hosts or ("127.0.0.1", "localhost")))
        chain = self._directory / f"{name}.pem"
        key = self._directory / f"{name}-key.pem"
        chain.write_bytes(b"".join(blob.bytes() for blob in certificate.cert_chain_pems))
        # PKCS#8, unencrypted: the one key form Kafka's PEM key store and
        # OpenSearch's security plugin accept.
        private_key = serialization.load_pem_private_key(
            certificate.private_key_pem.bytes(), password=None
        )
        key.write_bytes(
            private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key.chmod(0o600)
        return ServerCertificate(chain, key)
