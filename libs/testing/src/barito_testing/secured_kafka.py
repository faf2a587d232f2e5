"""The secured stack's Kafka as the Kafka security tests use it (issue 19).

A managed Kafka's shape: SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN) and
mutual TLS, its certificate from the secured stack's CA
(:mod:`barito_cli.stack.secure_kafka` has the engine). It is the one secured
Kafka of the test run, started by the run's :class:`~barito_testing.secure_stack.
SecureStack` (fixture ``secured_kafka`` in ``barito_testing.plugin``).
"""

from __future__ import annotations

from typing import Any

from barito_cli.stack.certificates import CertificateAuthority, ServerCertificate
from barito_cli.stack.secure_kafka import SecuredKafkaEngine
from barito_common.settings import KafkaSettings

__all__ = ["SecuredKafka"]


class SecuredKafka:
    """A client's view of the secured Kafka, right or wrong as a test needs.

    ``secured.settings(sasl_password="wrong")`` is the user's settings with
    the wrong password; ``secured.settings()`` reaches it.
    """

    def __init__(self, engine: SecuredKafkaEngine) -> None:
        self.engine = engine
        self.ca: CertificateAuthority = engine.material.ca
        self.user = engine.user
        self.password = engine.password_file.read_text()
        self.bootstrap_servers = engine.url
        self.mtls_bootstrap_servers = engine.mtls_url

    def settings(self, **changes: Any) -> KafkaSettings:
        """SASL_SSL as :attr:`user` (SCRAM-SHA-512), trusting the stack's CA; ``changes`` win."""
        fields: dict[str, Any] = {
            **self.engine.client_settings().model_dump(exclude_unset=True),
            "sasl_password": self.password,
            **changes,
        }
        return KafkaSettings.model_validate(fields)

    def client_certificate(self, name: str = "client") -> ServerCertificate:
        """A client certificate from the stack's CA, for the mutual-TLS listener."""
        return self.engine.client_certificate(name)
