"""The secured stack's Postgres (``barito stack up --secure``): TLS only, with a password.

The same engine as the plain stack's, set up as a company's Postgres is
reached from outside:

* initdb gives the user ``barito`` the stack's password (SCRAM-SHA-256);
* the server speaks TLS with a certificate for 127.0.0.1 and localhost from
  the stack's CA (:class:`~barito_cli.stack.secure_material.SecureMaterial`);
* ``pg_hba.conf`` admits TCP clients only over TLS and with the password,
  and rejects a plain-text one outright, so a client that forgot TLS is told
  so instead of being let in.

A client trusts the stack's CA file and dials 127.0.0.1 with ``verify-full``
(:meth:`SecuredPostgresEngine.client_settings`); a service reads the URL with
its password from a file (:meth:`SecuredPostgresEngine.service_environment`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from barito_cli.stack.config import StackConfig
from barito_cli.stack.engines import Launch, PostgresEngine
from barito_cli.stack.processes import chown_to_unprivileged
from barito_cli.stack.secure_material import SecureMaterial

if TYPE_CHECKING:
    from barito_common.settings import DatabaseSettings

__all__ = ["SecuredPostgresEngine"]

# Socket connections stay trusted, for an operator's psql on the machine: the
# socket is the engine user's alone (unix_socket_permissions=0700 below).
# Every TCP client needs TLS and the password; one without TLS is rejected by
# name rather than falling through to "no entry".
_PG_HBA = """\
local     all  all                trust
hostssl   all  all  127.0.0.1/32  scram-sha-256
hostssl   all  all  ::1/128       scram-sha-256
hostnossl all  all  0.0.0.0/0     reject
hostnossl all  all  ::/0          reject
"""


class SecuredPostgresEngine(PostgresEngine):
    """The stack's Postgres over TLS only, its user ``barito`` with the stack's password."""

    def __init__(self, config: StackConfig, material: SecureMaterial) -> None:
        super().__init__(config)
        self.material = material

    @property
    def password_file(self) -> Path:
        return self.material.password_file(self.name)

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL a Barito service dials, the password in it."""
        s = self.settings
        password = self.material.password(self.name)
        return f"postgresql+asyncpg://{s['user']}:{password}@127.0.0.1:{self.port}/{s['database']}"

    def initdb_arguments(self) -> list[str]:
        # initdb runs as the engine's user, who cannot read the material's
        # 0600 file; it reads a copy in its own home, removed once initdb is done.
        return [
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            f"--pwfile={self._initdb_password}",
        ]

    @property
    def _initdb_password(self) -> Path:
        return self.home / "initdb-password"

    @property
    def _tls_dir(self) -> Path:
        return self.home / "tls"

    def psql_environment(self) -> dict[str, str]:
        return {
            "PGSSLMODE": "verify-full",
            "PGSSLROOTCERT": str(self.material.cafile),
            "PGPASSWORD": self.material.password(self.name),
        }

    def prepare(self) -> Launch:
        certificate = self.material.certificate(self.name, "127.0.0.1")
        self._tls_dir.mkdir(parents=True, exist_ok=True)
        certfile, keyfile = self._tls_dir / "server.pem", self._tls_dir / "server-key.pem"
        shutil.copyfile(certificate.certfile, certfile)
        shutil.copyfile(certificate.keyfile, keyfile)
        # Postgres refuses a key that its group or others could read.
        keyfile.chmod(0o600)
        self._initdb_password.write_text(self.material.password(self.name))
        self._initdb_password.chmod(0o600)
        chown_to_unprivileged(self.home)
        try:
            launch = super().prepare()
        finally:
            self._initdb_password.unlink(missing_ok=True)
        hba = self.home / "pg_hba.conf"
        hba.write_text(_PG_HBA)
        chown_to_unprivileged(self.home)
        return Launch(
            argv=[
                *launch.argv,
                "-c", f"hba_file={hba}",
                "-c", "ssl=on",
                "-c", f"ssl_cert_file={certfile}",
                "-c", f"ssl_key_file={keyfile}",
                "-c", "password_encryption=scram-sha-256",
                "-c", "unix_socket_permissions=0700",
            ],
            env=launch.env,
            cwd=launch.cwd,
        )  # fmt: skip

    def client_settings(self) -> DatabaseSettings:
        """How a Barito client reaches this Postgres: TLS checked against the stack's CA."""
        from barito_common.settings import DatabaseSettings

        return DatabaseSettings(
            url=self.database_url, ssl_mode="verify-full", ssl_cafile=str(self.material.cafile)
        )

    def service_environment(self) -> dict[str, str]:
        """The ``BARITO_DATABASE__*`` variables of a service, the URL (a secret) as a file."""
        return {
            "BARITO_DATABASE__URL_FILE": str(self._url_file()),
            "BARITO_DATABASE__SSL_MODE": "verify-full",
            "BARITO_DATABASE__SSL_CAFILE": str(self.material.cafile),
        }

    def _url_file(self) -> Path:
        path = self.material.directory / "secrets" / f"{self.name}.url"
        url = self.database_url
        if not path.exists() or path.read_text() != url:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(url)
        return path
