"""The secured stack's Kafka: SASL over TLS and mutual TLS, as a managed Kafka is (issue 19).

The same jars and KRaft process as the plain stack's Kafka
(:class:`~barito_cli.stack.engines.KafkaEngine`), on the secured stack's
ports, with the certificate and passwords of its
:class:`~barito_cli.stack.secure_material.SecureMaterial`. Two listeners face
clients:

* ``SASL_SSL`` (:attr:`SecuredKafkaEngine.url`) — SCRAM-SHA-512,
  SCRAM-SHA-256 and PLAIN, the broker's own traffic too (SCRAM-SHA-512 as
  ``admin``). The SCRAM users are written into the metadata log when the
  storage is formatted (``kafka-storage format --add-scram``), so they exist
  before the broker takes its first connection; PLAIN's users are the
  listener's static JAAS list. Barito's services are the user ``barito``.
* ``SSL`` with a client certificate required (:attr:`SecuredKafkaEngine.mtls_url`)
  — mutual TLS, no SASL.

The controller listener stays plaintext on loopback: only the process itself
dials it. The broker's certificate names 127.0.0.1 alone, the address it
advertises: a client that dials ``localhost`` is shown a certificate for
another name, as it would be by a real cluster.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from barito_cli.stack.certificates import ServerCertificate
from barito_cli.stack.config import StackConfig
from barito_cli.stack.engines import KafkaEngine, Launch
from barito_cli.stack.secure_material import SecureMaterial

if TYPE_CHECKING:
    from barito_common.settings import KafkaSettings

__all__ = ["KAFKA_ADMIN", "KAFKA_USER", "SecuredKafkaEngine"]

KAFKA_ADMIN = "admin"
KAFKA_USER = "barito"
_SCRAM = ("SCRAM-SHA-512", "SCRAM-SHA-256")
_SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
_PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"


class SecuredKafkaEngine(KafkaEngine):
    """The stack's Kafka engine with SASL_SSL and mutual-TLS listeners instead of plaintext."""

    def __init__(self, config: StackConfig, material: SecureMaterial) -> None:
        super().__init__(config)
        self.material = material
        self.user = KAFKA_USER

    @property
    def mtls_port(self) -> int:
        return int(self.settings["mtls_port"])

    @property
    def mtls_url(self) -> str:
        return f"127.0.0.1:{self.mtls_port}"

    @property
    def password_file(self) -> Path:
        """The file of the password of :attr:`user`, the user Barito's services are."""
        return self.material.password_file(f"kafka-{KAFKA_USER}")

    @property
    def _tls(self) -> Path:
        return self.home / "tls"

    def _passwords(self) -> dict[str, str]:
        return {name: self.material.password(f"kafka-{name}") for name in (KAFKA_ADMIN, KAFKA_USER)}

    def listener_properties(self) -> list[str]:
        controller = self.settings["controller_port"]
        passwords = self._passwords()
        admin_password = passwords[KAFKA_ADMIN]
        scram_login = (
            f'{_SCRAM_MODULE} required username="{KAFKA_ADMIN}" password="{admin_password}";'
        )
        plain_users = " ".join(f'user_{name}="{secret}"' for name, secret in passwords.items())
        plain_login = (
            f'{_PLAIN_MODULE} required username="{KAFKA_ADMIN}" password="{admin_password}" '
            f"{plain_users};"
        )
        return [
            f"listeners=SASL_SSL://127.0.0.1:{self.port},MTLS://127.0.0.1:{self.mtls_port},"
            f"CONTROLLER://127.0.0.1:{controller}",
            f"advertised.listeners=SASL_SSL://127.0.0.1:{self.port},"
            f"MTLS://127.0.0.1:{self.mtls_port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL",
            "inter.broker.listener.name=SASL_SSL",
            "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
            f"sasl.enabled.mechanisms={','.join(_SCRAM)},PLAIN",
            *(
                f"listener.name.sasl_ssl.{mechanism.lower()}.sasl.jaas.config={scram_login}"
                for mechanism in _SCRAM
            ),
            f"listener.name.sasl_ssl.plain.sasl.jaas.config={plain_login}",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={self._tls / 'keystore.pem'}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={self._tls / 'ca.pem'}",
            "listener.name.mtls.ssl.client.auth=required",
        ]

    def format_arguments(self) -> list[str]:
        return [
            argument
            for mechanism in _SCRAM
            for name, password in self._passwords().items()
            for argument in ("--add-scram", f"{mechanism}=[name={name},password={password}]")
        ]

    def prepare(self) -> Launch:
        # The broker reads its own copies: the material's files stay its owner's alone,
        # and a PEM key store is the key and the certificate chain in one file.
        broker = self.material.certificate("kafka", "127.0.0.1")
        self._tls.mkdir(parents=True, exist_ok=True)
        keystore = self._tls / "keystore.pem"
        keystore.write_bytes(broker.keyfile.read_bytes() + broker.certfile.read_bytes())
        keystore.chmod(0o600)
        shutil.copyfile(self.material.cafile, self._tls / "ca.pem")
        launch = super().prepare()
        # It holds the passwords, in the JAAS lines.
        (self.home / "server.properties").chmod(0o600)
        return launch

    def client_settings(self) -> KafkaSettings:
        """SASL_SSL as ``barito`` with SCRAM-SHA-512, trusting the stack's CA; the probe's too."""
        from barito_common.settings import KafkaSettings

        return KafkaSettings(
            bootstrap_servers=self.url,
            security_protocol="SASL_SSL",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username=self.user,
            sasl_password=self.material.password(f"kafka-{KAFKA_USER}"),
            ssl_cafile=str(self.material.cafile),
        )

    def client_certificate(self, name: str = "client") -> ServerCertificate:
        """A client certificate from the stack's CA, for the mutual-TLS listener."""
        return self.material.certificate(f"kafka-client-{name}", f"{name}.barito.test")

    def service_environment(self) -> dict[str, str]:
        """What points a service at this Kafka; the password as a file, as a Secret is mounted."""
        return {
            "BARITO_KAFKA__BOOTSTRAP_SERVERS": self.url,
            "BARITO_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
            "BARITO_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
            "BARITO_KAFKA__SASL_USERNAME": self.user,
            "BARITO_KAFKA__SASL_PASSWORD_FILE": str(self.password_file),
            "BARITO_KAFKA__SSL_CAFILE": str(self.material.cafile),
        }
