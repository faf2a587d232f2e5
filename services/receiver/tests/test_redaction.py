"""An app's redaction rules on a running receiver: what reaches Kafka, whatever the protocol.

Each test registers an app whose profile carries rules (as the market
publishes them), sends a card number, an email address and a JWT by one of
the protocols the receiver speaks, and reads the chunk back from the app's
topic: the values are masked, naming the rule, and the originals are nowhere.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import uuid
from typing import Any

import msgpack
import orjson
import pytest

from barito_common.redaction import RedactionRuleSpec, mask_for
from barito_testing.apps import App, Apps
from barito_testing.forward_client import spec_forward_client
from barito_testing.ports import free_port

CARD = "4111 1111 1111 1111"  # a Luhn-valid test card number
EMAIL = "jane.doe@example.com"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
SECRETS = (CARD, EMAIL, JWT, CARD.replace(" ", ""))


def rule(name: str, kind: str, **fields: str) -> RedactionRuleSpec:
    return RedactionRuleSpec(id=uuid.uuid4(), name=name, kind=kind, **fields)  # type: ignore[arg-type]


RULES = [
    rule("card", "detector", detector="credit_card"),
    rule("mail", "detector", detector="email"),
    rule("token", "detector", detector="jwt"),
]
MASKED = f"paid {mask_for('card')} by {mask_for('mail')} with {mask_for('token')}"


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    return {"forward_port": free_port(), "syslog_port": free_port()}


def message() -> str:
    return f"paid {CARD} by {EMAIL} with {JWT}"


async def redacted_app(receiver: Any) -> App:
    app: App = await receiver.apps.register(redaction_rules=RULES)
    return app


async def assert_masked(apps: Apps, app: App, expect: int, field: str = "message") -> None:
    records = [event.record for event in await apps.events(app, expect=expect)]
    assert len(records) == expect
    for record in records:
        assert record[field].startswith(MASKED), record
        assert not any(secret in repr(record) for secret in SECRETS), record


BODIES = {
    "ndjson": ("application/x-ndjson", lambda r: b"".join(orjson.dumps(x) + b"\n" for x in r)),
    "json array": ("application/json", orjson.dumps),
    "json stream": ("application/json", lambda r: b"".join(orjson.dumps(x) for x in r)),
    "msgpack": ("application/x-msgpack", lambda r: b"".join(msgpack.packb(x) for x in r)),
}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("body_format", list(BODIES))
async def test_http_bodies_reach_kafka_masked_in_every_format(
    receiver: Any, body_format: str, compress: bool
) -> None:
    app = await redacted_app(receiver)
    content_type, encode = BODIES[body_format]
    records = [{"message": message(), "n": n} for n in range(2)]
    body, headers = encode(records), {**app.headers, "Content-Type": content_type}
    if compress:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    response = await receiver.client.post("/api/v1/logs", content=body, headers=headers)
    assert response.status_code == 200, response.text
    await assert_masked(receiver.apps, app, expect=2)


async def test_nested_values_and_lists_are_masked_and_keys_and_numbers_stay(
    receiver: Any,
) -> None:
    app = await redacted_app(receiver)
    record = {
        "message": message(),
        "user": {"contact": [EMAIL, {"card": int(CARD.replace(" ", ""))}], "id": 42},
    }
    response = await receiver.client.post("/api/v1/logs", json=record, headers=app.headers)
    assert response.status_code == 200, response.text
    [event] = await receiver.apps.events(app, expect=1)
    assert event.record["user"] == {
        "contact": [mask_for("mail"), {"card": mask_for("card")}],
        "id": 42,
    }


async def test_the_original_barito_plugin_batch_is_masked(receiver: Any) -> None:
    app = await redacted_app(receiver)
    body = orjson.dumps({"items": [{"@message": message(), "tag": "barito"}]})
    response = await receiver.client.post(
        "/produce_batch",
        content=gzip.compress(body),
        headers={**app.headers, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    await assert_masked(receiver.apps, app, expect=1, field="@message")


async def test_otlp_log_bodies_and_attributes_are_masked(receiver: Any) -> None:
    app = await redacted_app(receiver)
    export = {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": "1700000000500000000",
                                "body": {"stringValue": message()},
                                "attributes": [{"key": "user", "value": {"stringValue": EMAIL}}],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    response = await receiver.client.post(
        "/v1/logs",
        content=orjson.dumps(export),
        headers={**app.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    await assert_masked(receiver.apps, app, expect=1)


async def test_elasticsearch_bulk_documents_are_masked(receiver: Any) -> None:
    app = await redacted_app(receiver)
    body = b"".join(
        orjson.dumps(line) + b"\n"
        for line in ({"index": {"_index": "web"}}, {"message": message()}) * 2
    )
    basic = base64.b64encode(f"{app.profile.slug}:{app.secret}".encode()).decode()
    response = await receiver.client.post(
        "/_bulk",
        content=body,
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["errors"] is False
    await assert_masked(receiver.apps, app, expect=2)


async def test_forward_protocol_entries_are_masked(receiver: Any) -> None:
    app = await redacted_app(receiver)
    async with spec_forward_client(receiver.settings.forward_port) as client:
        await client.send([app.secret, 1700000000, {"message": message()}, {"chunk": "c1"}])
        assert await client.read() == {"ack": "c1"}
        entries = [[1700000000, {"message": message()}]]
        await client.send([app.secret, entries, {"chunk": "c2"}])
        assert await client.read() == {"ack": "c2"}
    await assert_masked(receiver.apps, app, expect=2)


async def test_syslog_messages_are_masked(receiver: Any) -> None:
    app = await redacted_app(receiver)
    line = f'<13>1 2024-05-01T12:00:00Z web01 api - - [barito@32473 secret="{app.secret}"] '
    reader, writer = await asyncio.open_connection("127.0.0.1", receiver.settings.syslog_port)
    writer.write(f"{line}{message()}\n".encode())
    await writer.drain()
    writer.write_eof()
    await reader.read()  # the receiver closes its side once everything is written
    writer.close()
    await writer.wait_closed()
    await assert_masked(receiver.apps, app, expect=1)


async def test_a_republished_profile_changes_what_the_running_receiver_masks(
    receiver: Any,
) -> None:
    apps: Apps = receiver.apps
    app = await apps.register()
    record = {"message": message()}

    async def send() -> None:
        response = await receiver.client.post("/api/v1/logs", json=record, headers=app.headers)
        assert response.status_code == 200, response.text

    await send()
    [plain] = await apps.events(app, expect=1)
    assert plain.record == record

    # Apps.publish returns once the receiver's registry holds the new profile.
    await apps.publish(app.profile.model_copy(update={"redaction_rules": RULES}))
    await send()
    await apps.publish(app.profile.model_copy(update={"redaction_rules": RULES[1:]}))
    await send()

    _, masked, card_kept = [event.record["message"] for event in await apps.events(app, expect=3)]
    assert masked == MASKED
    assert card_kept == f"paid {CARD} by {mask_for('mail')} with {mask_for('token')}"


async def test_a_rule_the_receiver_cannot_compile_refuses_the_logs_with_503_naming_it(
    receiver: Any,
) -> None:
    broken = rule("backref", "pattern", pattern=r"(\d)\1")
    app = await receiver.apps.register(redaction_rules=[RULES[0], broken])
    response = await receiver.client.post(
        "/api/v1/logs", json={"message": message()}, headers=app.headers
    )
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    error = response.json()["error"]["message"]
    assert "'backref'" in error and "not valid RE2" in error
    assert await receiver.apps.chunk_count(app) == 0

    await receiver.apps.publish(app.profile.model_copy(update={"redaction_rules": RULES}))
    response = await receiver.client.post(
        "/api/v1/logs", json={"message": message()}, headers=app.headers
    )
    assert response.status_code == 200, response.text
    await assert_masked(receiver.apps, app, expect=1)
