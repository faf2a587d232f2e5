"""The Kafka clients, built the one way Barito uses them.

Producers are idempotent with ``acks=all``: the receiver answers a client
only after the write is on every in-sync replica, and a retried send after a
lost ack never duplicates a chunk. Consumers never commit on their own:
offsets follow durable work.

Every client speaks the installation's security settings: SASL (PLAIN or
SCRAM) and TLS are set here once, so no producer, consumer or admin client
can be made that forgets them.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context

from barito_common.settings import KafkaSettings

__all__ = ["create_admin", "create_consumer", "create_producer", "security_options", "ssl_context"]


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext:
    """The TLS context of ``settings``: its CA file (or the system's), its client certificate.

    Files are read here, each time a client is made, so a renewed CA or client
    certificate is used by the next client without a restart.
    """
    context: ssl.SSLContext = create_ssl_context(
        cafile=settings.ssl_cafile, certfile=settings.ssl_certfile, keyfile=settings.ssl_keyfile
    )
    # Turning the check off only stops matching the name; the chain is still
    # verified against the CA (CERT_REQUIRED stays), so an unknown CA still fails.
    context.check_hostname = settings.ssl_check_hostname
    return context


def security_options(settings: KafkaSettings) -> dict[str, Any]:
    """What every aiokafka client (producer, consumer, admin, connection) needs to get in."""
    options: dict[str, Any] = {"security_protocol": settings.security_protocol}
    if settings.uses_tls:
        options["ssl_context"] = ssl_context(settings)
    if settings.security_protocol.startswith("SASL_"):
        if settings.sasl_password is None:  # the settings' validator refuses this already
            raise ValueError(f"security_protocol {settings.security_protocol} needs sasl_password")
        options.update(
            sasl_mechanism=settings.sasl_mechanism,
            sasl_plain_username=settings.sasl_username,
            sasl_plain_password=settings.sasl_password.get_secret_value(),
        )
    return options


def _common(settings: KafkaSettings) -> dict[str, Any]:
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": settings.client_id,
        "request_timeout_ms": settings.request_timeout_ms,
        **security_options(settings),
    }


def create_producer(settings: KafkaSettings, **overrides: Any) -> AIOKafkaProducer:
    """An idempotent producer that waits for all in-sync replicas."""
    options: dict[str, Any] = {
        **_common(settings),
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "max_request_size": 8 * 1024 * 1024,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def create_consumer(
    settings: KafkaSettings, *topics: str, group_id: str | None, **overrides: Any
) -> AIOKafkaConsumer:
    """A consumer that commits only when told: offsets follow durable work."""
    options: dict[str, Any] = {
        **_common(settings),
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


def create_admin(settings: KafkaSettings) -> AIOKafkaAdminClient:
    """An admin client (topics, cluster description) with the same security as the others."""
    return AIOKafkaAdminClient(**_common(settings))
