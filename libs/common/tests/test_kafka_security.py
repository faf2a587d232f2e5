"""Kafka behind SASL and TLS (issue 19), against a real secured Kafka (``secured_kafka``).

Every client of every service is made by ``barito_common.kafka.clients``, so a
round trip through those factories over SASL_SSL proves them all; each way of
being refused is then named by /readyz (``KafkaProbe``) in words an operator
can act on.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from barito_cli.stack.certificates import CertificateAuthority
from barito_common.kafka import (
    KafkaProbe,
    KafkaUnavailable,
    TopicSpec,
    create_admin,
    create_consumer,
    create_producer,
    ensure_topics,
)
from barito_common.kafka.access_failures import ListenerSpeaks, describe_failure
from barito_common.kafka.clients import security_options
from barito_common.settings import KafkaSettings
from barito_testing.secured_kafka import SecuredKafka

RECORDS = [b"record-0", b"record-1", b"record-2"]


async def _unavailable_reason(kafka: KafkaSettings) -> str:
    probe = KafkaProbe(kafka, timeout_s=5)
    try:
        with pytest.raises(KafkaUnavailable) as refused:
            await probe.check()
    finally:
        await probe.close()
    return str(refused.value)


async def _round_trip(kafka: KafkaSettings, topic: str) -> list[bytes]:
    """Create ``topic`` (admin), write RECORDS (producer), read them back (consumer)."""
    await ensure_topics(kafka, [TopicSpec(topic)])
    admin = create_admin(kafka)
    await admin.start()
    try:
        assert topic in await admin.list_topics()
    finally:
        await admin.close()
    producer = create_producer(kafka)
    await producer.start()
    try:
        for value in RECORDS:
            await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()
    consumer = create_consumer(kafka, topic, group_id=f"{topic}-readers")
    await consumer.start()
    values: list[bytes] = []
    try:
        async with asyncio.timeout(20):
            while len(values) < len(RECORDS):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    values += [record.value for record in records if record.value]
        await consumer.commit()
    finally:
        await consumer.stop()
    return values


# --- without an engine ---------------------------------------------------------


def test_sasl_ssl_settings_give_every_client_credentials_and_a_verifying_tls_context(
    tmp_path: Path,
) -> None:
    ca = CertificateAuthority(tmp_path)
    kafka = KafkaSettings.model_validate(
        {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-256",
            "sasl_username": "alice",
            "sasl_password": "s3cret",
            "ssl_cafile": str(ca.cafile),
            "ssl_check_hostname": False,
        }
    )
    options = security_options(kafka)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("alice", "s3cret")
    context = options["ssl_context"]
    # No name check asked for, but the chain is still verified against the CA.
    assert context.check_hostname is False
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert security_options(KafkaSettings()) == {"security_protocol": "PLAINTEXT"}


def test_a_closed_connection_is_named_a_protocol_mismatch_when_the_other_protocol_answers() -> None:
    closed = ConnectionResetError()
    plaintext = KafkaSettings(bootstrap_servers="k:9093")
    assert describe_failure(
        closed, plaintext, "k:9093", listener=ListenerSpeaks(tls=True)
    ).startswith("a plaintext client against a TLS listener: k:9093 speaks TLS")
    tls = KafkaSettings(security_protocol="SSL")
    assert describe_failure(
        closed, tls, "k:9092", listener=ListenerSpeaks(plaintext=True)
    ).startswith("TLS against a plaintext listener: k:9092 speaks plain Kafka")


# --- on the secured Kafka ------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"])
async def test_admin_producer_and_consumer_work_over_sasl_ssl(
    secured_kafka: SecuredKafka, unique_name: str, mechanism: str
) -> None:
    kafka = secured_kafka.settings(sasl_mechanism=mechanism)
    assert await _round_trip(kafka, f"{unique_name}.secured") == RECORDS
    probe = KafkaProbe(kafka, timeout_s=5)
    try:
        await probe.check()
    finally:
        await probe.close()


async def test_mutual_tls_works_with_a_client_certificate_and_is_named_without_one(
    secured_kafka: SecuredKafka, unique_name: str
) -> None:
    client = secured_kafka.client_certificate()
    kafka = KafkaSettings(
        bootstrap_servers=secured_kafka.mtls_bootstrap_servers,
        security_protocol="SSL",
        ssl_cafile=str(secured_kafka.ca.cafile),
        ssl_certfile=str(client.certfile),
        ssl_keyfile=str(client.keyfile),
    )
    assert await _round_trip(kafka, f"{unique_name}.mtls") == RECORDS

    anonymous = kafka.model_copy(update={"ssl_certfile": None, "ssl_keyfile": None})
    reason = await _unavailable_reason(anonymous)
    assert reason.startswith(
        f"{secured_kafka.mtls_bootstrap_servers} requires a client certificate"
    ), reason


async def test_a_wrong_password_is_named_as_failed_authentication_of_that_user(
    secured_kafka: SecuredKafka,
) -> None:
    for mechanism in ("SCRAM-SHA-512", "PLAIN"):
        wrong = secured_kafka.settings(sasl_mechanism=mechanism, sasl_password="not-the-password")
        reason = await _unavailable_reason(wrong)
        assert reason.startswith(
            f"authentication failed for user '{secured_kafka.user}' ({mechanism}) at "
            f"{secured_kafka.bootstrap_servers}"
        ), reason
        assert "not-the-password" not in reason


async def test_an_unknown_ca_is_named_with_the_ca_file_that_does_not_hold_it(
    secured_kafka: SecuredKafka, tmp_path: Path
) -> None:
    strangers = CertificateAuthority(tmp_path / "other-ca")
    reason = await _unavailable_reason(secured_kafka.settings(ssl_cafile=str(strangers.cafile)))
    assert reason.startswith(
        f"certificate verify failed: unknown CA (ssl_cafile {strangers.cafile} does not hold "
        f"the CA that signed the certificate of {secured_kafka.bootstrap_servers}"
    ), reason


async def test_a_certificate_for_another_name_is_named_unless_the_name_check_is_off(
    secured_kafka: SecuredKafka, unique_name: str
) -> None:
    # The broker's certificate names 127.0.0.1 only; "localhost" reaches it all the same.
    port = secured_kafka.bootstrap_servers.rsplit(":", 1)[1]
    by_name = secured_kafka.settings(bootstrap_servers=f"localhost:{port}")
    reason = await _unavailable_reason(by_name)
    assert reason.startswith("certificate does not name host 'localhost'"), reason

    unchecked = by_name.model_copy(update={"ssl_check_hostname": False})
    assert await _round_trip(unchecked, f"{unique_name}.unchecked") == RECORDS


async def test_a_plaintext_client_against_the_tls_listener_is_named_so(
    secured_kafka: SecuredKafka,
) -> None:
    for protocol in ("PLAINTEXT", "SASL_PLAINTEXT"):
        plaintext = secured_kafka.settings(security_protocol=protocol, ssl_cafile=None)
        reason = await _unavailable_reason(plaintext)
        assert reason.startswith(
            f"a plaintext client against a TLS listener: {secured_kafka.bootstrap_servers} "
            f"speaks TLS, but security_protocol is {protocol}"
        ), reason


async def test_tls_against_a_plaintext_listener_is_named_so(
    stack, secured_kafka: SecuredKafka
) -> None:
    tls = secured_kafka.settings(bootstrap_servers=stack.kafka_bootstrap)
    reason = await _unavailable_reason(tls)
    assert reason.startswith(
        f"TLS against a plaintext listener: {stack.kafka_bootstrap} speaks plain Kafka"
    ), reason
