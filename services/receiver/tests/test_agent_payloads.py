"""Bodies byte for byte as real agents send them (shared/reference/agent-payloads.md)."""

from __future__ import annotations

import gzip

import pytest

from barito_testing.agent_bodies import FLUENT_BIT_MSGPACK, T1, T2

FLUENTD = [{"msg": "a", "n": 1}, {"msg": "b", "n": 2}]
FLUENT_BIT = [{"date": 1700000000.5, "log": "a"}, {"date": 1700000001.0, "log": "b"}]
FLUENT_BIT_TIMES = [T1, T2]

PAYLOADS = {
    "fluentd out_http json (ndjson)": (
        "application/x-ndjson",
        b'{"msg":"a","n":1}\n{"msg":"b","n":2}\n',
        FLUENTD,
    ),
    "fluentd out_http json_array": (
        "application/json",
        b'[{"msg":"a","n":1}\n,{"msg":"b","n":2}\n]',
        FLUENTD,
    ),
    "fluentd out_http msgpack": (
        "application/x-msgpack",
        bytes.fromhex("82 a3 6d 73 67 a1 61 a1 6e 01 82 a3 6d 73 67 a1 62 a1 6e 02"),
        FLUENTD,
    ),
    "fluent bit json": (
        "application/json",
        b'[{"date":1700000000.5,"log":"a"},{"date":1700000001.0,"log":"b"}]',
        FLUENT_BIT,
    ),
    "fluent bit json_lines": (
        "application/x-ndjson",
        b'{"date":1700000000.5,"log":"a"}\n{"date":1700000001.0,"log":"b"}\n',
        FLUENT_BIT,
    ),
    "fluent bit json_stream": (
        "application/json",
        b'{"date":1700000000.5,"log":"a"}{"date":1700000001.0,"log":"b"}',
        FLUENT_BIT,
    ),
    "fluent bit msgpack": ("application/msgpack", FLUENT_BIT_MSGPACK, [{"log": "a"}, {"log": "b"}]),
}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("name", list(PAYLOADS))
async def test_agent_payload_lands_exactly(receiver, name: str, compress: bool) -> None:
    content_type, body, expected = PAYLOADS[name]
    app = await receiver.apps.register()
    headers = {**app.headers, "Content-Type": content_type}
    if compress:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    response = await receiver.client.post("/api/v1/logs", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 2}
    events = await receiver.apps.events(app, expect=2)
    assert [event.record for event in events] == expected
    if name.startswith("fluent bit"):
        assert [event.time for event in events] == FLUENT_BIT_TIMES


async def test_original_barito_plugin_gzip_items_batch(receiver) -> None:
    item = (
        b'{"tag":"barito","@message":"hello","@timestamp":"2025-07-29T10:00:00Z",'
        b'"client_trail":{"is_k8s":false,"sent_at":"2025-07-29T10:00:00Z","hints":[],'
        b'"hostname":"vm-1"}}'
    )
    app = await receiver.apps.register()
    response = await receiver.client.post(
        "/produce_batch",
        content=gzip.compress(b'{"items":[' + item + b"]}"),
        headers={
            **app.headers,
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert response.json() == {"accepted": 1}
    (event,) = await receiver.apps.events(app, expect=1)
    assert event.record["@message"] == "hello"
    assert event.record["client_trail"]["hostname"] == "vm-1"
    assert event.time == "2025-07-29T10:00:00.000Z"
