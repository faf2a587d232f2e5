"""What the secured local stack is made of besides its engines: one CA, certificates, passwords.

Everything is made on the first ``barito stack up --secure`` and kept under
``<state_dir>/secure`` (the secured stack's own state folder), so the stack
started again serves certificates and takes passwords its clients already
have; ``barito stack up --secure --fresh`` forgets them with the data. The
passwords are files (0600) because that is how the services read secrets
(``BARITO_..._FILE``), as a Kubernetes Secret is mounted.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from barito_cli.stack.certificates import CertificateAuthority, ServerCertificate

__all__ = ["SecureMaterial"]


class SecureMaterial:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ca = CertificateAuthority(directory / "tls")

    @property
    def cafile(self) -> Path:
        return self.ca.cafile

    def certificate(self, name: str, *hosts: str) -> ServerCertificate:
        """``name``'s certificate for ``hosts`` (default 127.0.0.1 and localhost), made once."""
        tls = self.directory / "tls"
        kept = ServerCertificate(tls / f"{name}.pem", tls / f"{name}-key.pem")
        if kept.certfile.exists() and kept.keyfile.exists():
            return kept
        return self.ca.issue(name, *hosts)

    def password_file(self, name: str) -> Path:
        """The file holding ``name``'s password, made (random) on first use."""
        path = self.directory / "secrets" / f"{name}.password"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(18))
            path.chmod(0o600)
        return path

    def password(self, name: str) -> str:
        return self.password_file(name).read_text()
