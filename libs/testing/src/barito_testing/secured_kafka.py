"""A real Kafka behind SASL and TLS, as a managed Kafka is (issue 19).

It is started the way the local stack starts its own (``barito_cli.stack``:
the same cached jars, KRaft with broker and controller in one process), on
free ports and with a data directory of its own, so it shares nothing with
the stack's Kafka. Its certificate comes from a CA made for the run
(:class:`~barito_cli.stack.certificates.CertificateAuthority`); clients trust
that CA's file and nothing else. Two listeners face clients:

* ``SASL_SSL`` (:attr:`SecuredKafka.bootstrap_servers`) — SCRAM-SHA-512,
  SCRAM-SHA-256 and PLAIN, the brokers' own traffic too (SCRAM-SHA-512 as
  ``admin``). The SCRAM users are written into the metadata log when the
  storage is formatted (``kafka-storage format --add-scram``), so they exist
  before the broker takes its first connection; PLAIN's users are the
  listener's static JAAS list.
* ``SSL`` with a client certificate required (:attr:`SecuredKafka.mtls_bootstrap_servers`)
  — mutual TLS, no SASL.

The controller listener stays plaintext on loopback: only the process itself
dials it. The session fixture ``secured_kafka`` (``barito_testing.plugin``)
starts it once for the whole run.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path
from typing import Any

from barito_cli.stack.certificates import CertificateAuthority, ServerCertificate
from barito_cli.stack.config import StackConfig
from barito_cli.stack.engines import KafkaEngine
from barito_cli.stack.manager import log_tail, stack_down, start_engines
from barito_common.settings import KafkaSettings
from barito_testing.ports import free_port

__all__ = ["SecuredKafka", "SecuredKafkaEngine"]

# Test credentials, of a Kafka that lives for one run on loopback.
ADMIN, ADMIN_PASSWORD = "admin", "admin-secret"
USER, USER_PASSWORD = "alice", "alice-secret"
_SCRAM = ("SCRAM-SHA-512", "SCRAM-SHA-256")
_SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
_PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"


class SecuredKafkaEngine(KafkaEngine):
    """The stack's Kafka engine with SASL_SSL and mutual-TLS listeners instead of plaintext."""

    def __init__(self, config: StackConfig, *, cafile: Path, keystore: Path) -> None:
        super().__init__(config)
        self.cafile = cafile
        # PEM key store: the broker's private key and certificate chain in one file.
        self.keystore = keystore

    @property
    def mtls_port(self) -> int:
        return int(self.settings["mtls_port"])

    def listener_properties(self) -> list[str]:
        controller = self.settings["controller_port"]
        scram_login = f'{_SCRAM_MODULE} required username="{ADMIN}" password="{ADMIN_PASSWORD}";'
        plain_login = (
            f'{_PLAIN_MODULE} required username="{ADMIN}" password="{ADMIN_PASSWORD}" '
            f'user_{ADMIN}="{ADMIN_PASSWORD}" user_{USER}="{USER_PASSWORD}";'
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
            f"ssl.keystore.location={self.keystore}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={self.cafile}",
            "listener.name.mtls.ssl.client.auth=required",
        ]

    def format_arguments(self) -> list[str]:
        return [
            argument
            for mechanism in _SCRAM
            for name, password in ((ADMIN, ADMIN_PASSWORD), (USER, USER_PASSWORD))
            for argument in ("--add-scram", f"{mechanism}=[name={name},password={password}]")
        ]

    def client_settings(self) -> KafkaSettings:
        return KafkaSettings(
            bootstrap_servers=self.url,
            security_protocol="SASL_SSL",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username=ADMIN,
            sasl_password=ADMIN_PASSWORD,
            ssl_cafile=str(self.cafile),
        )


class SecuredKafka:
    """A private one-broker Kafka behind SASL_SSL; :meth:`start` and :meth:`stop` block.

    :meth:`settings` gives a client's settings for it, right or wrong as a
    test needs: ``secured.settings(sasl_password="wrong")``.
    """

    user, password = USER, USER_PASSWORD

    def __init__(self, stack_config: StackConfig) -> None:
        # Under the stack's own folder, as the second Kafka, rather than a 0700 pytest temp folder.
        parent = stack_config.state_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        self.home = Path(tempfile.mkdtemp(prefix="secured-kafka-", dir=parent))
        self.ca = CertificateAuthority(self.home / "tls")
        # 127.0.0.1 only, the address it advertises: dialled as "localhost" it
        # shows a client a certificate for another name.
        broker = self.ca.issue("broker", "127.0.0.1")
        keystore = self.home / "tls" / "broker-keystore.pem"
        keystore.write_bytes(broker.keyfile.read_bytes() + broker.certfile.read_bytes())
        keystore.chmod(0o600)
        kafka = {
            **stack_config.engines["kafka"],
            "port": free_port(),
            "mtls_port": free_port(),
            "controller_port": free_port(),
            "heap": "384m",
        }
        self.config = dataclasses.replace(
            stack_config, state_dir=self.home, engines={**stack_config.engines, "kafka": kafka}
        )
        self.engine = SecuredKafkaEngine(self.config, cafile=self.ca.cafile, keystore=keystore)
        self.bootstrap_servers = self.engine.url
        self.mtls_bootstrap_servers = f"127.0.0.1:{self.engine.mtls_port}"

    def settings(self, **changes: Any) -> KafkaSettings:
        """SASL_SSL as ``alice`` with SCRAM-SHA-512, trusting the run CA; ``changes`` override."""
        fields: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_username": self.user,
            "sasl_password": self.password,
            "ssl_cafile": str(self.ca.cafile),
            **changes,
        }
        return KafkaSettings.model_validate(fields)

    def client_certificate(self, name: str = "client") -> ServerCertificate:
        """A client certificate from the run CA, for the mutual-TLS listener."""
        return self.ca.issue(name, f"{name}.barito.test")

    def start(self) -> None:
        start_engines([self.engine], echo=lambda line: print(f"[secured kafka] {line}"))

    def stop(self) -> None:
        stack_down(self.config, ["kafka"], echo=lambda line: print(f"[secured kafka] {line}"))

    def log_tail(self, lines: int = 40) -> str:
        return str(log_tail(self.config, "kafka", lines))

    def remove(self) -> None:
        """Stop it and forget its data."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
