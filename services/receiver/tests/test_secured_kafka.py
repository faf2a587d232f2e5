"""The receiver on a Kafka behind SASL_SSL (issue 19), the real secured Kafka of ``secured_kafka``.

The clients themselves and every way of being refused are tested with
``barito_common.kafka`` (libs/common/tests/test_kafka_security.py); here the
receiver ingests over such a Kafka, and its /readyz names a wrong password.
"""

from __future__ import annotations

import uuid

import orjson

from barito_testing.apps import Apps
from barito_testing.receiver import in_process_receiver
from barito_testing.secured_kafka import SecuredKafka


async def test_the_receiver_writes_a_posted_event_that_is_read_back_over_sasl_ssl(
    secured_kafka: SecuredKafka,
) -> None:
    kafka = secured_kafka.settings(topic_prefix=f"r{uuid.uuid4().hex[:8]}.")
    async with in_process_receiver(kafka, produce_timeout_s=10.0) as receiver:
        ready = await receiver.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        apps = Apps(kafka, receiver.registry)
        await apps.producer.start()
        try:
            app = await apps.register()
            response = await receiver.client.post(
                "/api/v1/logs",
                content=orjson.dumps({"msg": "over SASL_SSL"}),
                headers={**app.headers, "Content-Type": "application/json"},
            )
            assert response.status_code == 200, response.text
            events = await apps.events(app, expect=1)
        finally:
            await apps.producer.stop()
    assert [event.record for event in events] == [{"msg": "over SASL_SSL"}]


async def test_the_receivers_readiness_names_a_wrong_password(
    secured_kafka: SecuredKafka,
) -> None:
    kafka = secured_kafka.settings(sasl_password="not-the-password")
    async with in_process_receiver(kafka, registry_loaded=False, readiness_timeout_s=5.0) as r:
        response = await r.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["kafka"].startswith(
        f"authentication failed for user '{secured_kafka.user}' (SCRAM-SHA-512)"
    ), response.text
