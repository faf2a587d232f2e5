"""The receiver never answers 2xx for data Kafka did not acknowledge."""

from __future__ import annotations

import asyncio

import pytest

from barito_cli.stack.manager import stack_down, stack_up

pytestmark = pytest.mark.disruptive


async def test_kafka_stopped_means_503_with_retry_after_then_accepted_again(
    stack, receiver
) -> None:
    app = await receiver.apps.register()
    headers = {**app.headers, "Content-Type": "application/json"}
    ok = await receiver.client.post("/api/v1/logs", content=b'{"n":"before"}', headers=headers)
    assert ok.status_code == 200

    await asyncio.to_thread(stack_down, stack.config, ["kafka"], echo=print)
    try:
        refused = await receiver.client.post(
            "/api/v1/logs", content=b'{"n":"during"}', headers=headers
        )
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert "Kafka" in refused.json()["error"]["message"]
    finally:
        await asyncio.to_thread(stack_up, stack.config, ["kafka"], echo=print)

    # The same receiver, never restarted, accepts again once its producer reconnects.
    async with asyncio.timeout(90):
        while True:
            retry = await receiver.client.post(
                "/api/v1/logs", content=b'{"n":"after"}', headers=headers
            )
            if retry.status_code == 200:
                break
            assert retry.status_code == 503, retry.text
            await asyncio.sleep(1)
    records = [e.record for e in await receiver.apps.events(app, expect=2)]
    # "during" was refused, so whatever Kafka holds, the client was never told 2xx for it;
    # "before" and "after" were acknowledged and must be there.
    assert records[0] == {"n": "before"}
    assert records[-1] == {"n": "after"}
