"""What an agent sees when it sends logs, and what lands in Kafka."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from datetime import UTC, datetime, timedelta

import msgpack
import orjson

from barito_common.kafka import create_consumer
from barito_common.schemas import AppStatus, UsageReport, from_bytes, hash_secret

EVENTS = [{"msg": "a", "n": 1}, {"msg": "b", "n": 2, "nested": {"k": ["x", 1.5, None]}}]


def _records(events):
    return [event.record for event in events]


async def _post(receiver, app, body, content_type=None, path="/api/v1/logs", **headers):
    sent = {**app.headers, **headers}
    if content_type:
        sent["Content-Type"] = content_type
    return await receiver.client.post(path, content=body, headers=sent)


BODIES = {
    "json object": (lambda: orjson.dumps(EVENTS[0]), "application/json", EVENTS[:1]),
    "json array": (lambda: orjson.dumps(EVENTS), "application/json", EVENTS),
    "ndjson": (
        lambda: b"".join(orjson.dumps(e) + b"\n" for e in EVENTS),
        "application/x-ndjson",
        EVENTS,
    ),
    "concatenated json": (
        lambda: b"".join(orjson.dumps(e) for e in EVENTS),
        "application/json",
        EVENTS,
    ),
    "msgpack maps": (
        lambda: b"".join(msgpack.packb(e) for e in EVENTS),
        "application/x-msgpack",
        EVENTS,
    ),
    "barito items": (lambda: orjson.dumps({"items": EVENTS}), "application/json", EVENTS),
    "sniffed ndjson": (lambda: b"".join(orjson.dumps(e) + b"\n" for e in EVENTS), None, EVENTS),
    "sniffed msgpack": (lambda: b"".join(msgpack.packb(e) for e in EVENTS), None, EVENTS),
}


async def test_every_body_format_plain_and_gzip_lands_as_the_events_sent_in_order(
    receiver,
) -> None:
    for name, (make, content_type, expected) in BODIES.items():
        for compress in (False, True):
            app = await receiver.apps.register()
            body = make()
            headers = {"Content-Encoding": "gzip"} if compress else {}
            response = await _post(
                receiver, app, gzip.compress(body) if compress else body, content_type, **headers
            )
            assert response.status_code == 200, (name, compress, response.text)
            assert response.json() == {"accepted": len(expected)}
            events = await receiver.apps.events(app, expect=len(expected))
            assert _records(events) == expected, (name, compress)


async def test_drop_in_paths_of_the_original_barito_agents(receiver) -> None:
    app = await receiver.apps.register()
    batch = gzip.compress(orjson.dumps({"items": EVENTS}))
    response = await _post(
        receiver,
        app,
        batch,
        "application/json",
        path="/produce_batch",
        **{"Content-Encoding": "gzip"},
    )
    assert response.json() == {"accepted": 2}
    response = await _post(receiver, app, orjson.dumps({"one": 1}), "application/json", "/produce")
    assert response.json() == {"accepted": 1}
    assert _records(await receiver.apps.events(app, expect=3)) == [*EVENTS, {"one": 1}]


async def test_event_time_is_taken_from_the_event_else_the_receive_time(receiver) -> None:
    app = await receiver.apps.register()
    body = b"\n".join(
        [
            b'{"@timestamp":"2024-05-01T10:00:00.123+02:00","m":1}',
            b'{"time":1700000000.5,"m":2}',
            b'{"timestamp":1700000000500,"m":3}',
            b'{"date":1700000001.0,"m":4}',
            b'{"m":5}',
        ]
    )
    assert (await _post(receiver, app, body, "application/x-ndjson")).status_code == 200
    times = [event.time for event in await receiver.apps.events(app, expect=5)]
    assert times[:4] == [
        "2024-05-01T08:00:00.123Z",
        "2023-11-14T22:13:20.500Z",
        "2023-11-14T22:13:20.500Z",
        "2023-11-14T22:13:21.000Z",
    ]
    assert times[4].startswith("20") and times[4].endswith("Z")


async def test_group_secret_with_app_name_writes_to_that_app(receiver) -> None:
    group_secret = "group-secret-for-tests-0123456789"
    app = await receiver.apps.register(group_secret_hashes=[hash_secret(group_secret)])
    response = await receiver.client.post(
        "/api/v1/logs",
        content=b'{"via":"group"}',
        headers={
            "X-App-Group-Secret": group_secret,
            "X-App-Name": app.profile.slug,
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200, response.text
    assert _records(await receiver.apps.events(app, expect=1)) == [{"via": "group"}]
    wrong = await receiver.client.post(
        "/api/v1/logs",
        content=b"{}",
        headers={"X-App-Group-Secret": group_secret, "X-App-Name": "no-such-app"},
    )
    assert wrong.status_code == 401


async def test_bearer_token_is_accepted_like_the_secret_header(receiver) -> None:
    app = await receiver.apps.register()
    response = await receiver.client.post(
        "/api/v1/logs",
        content=b'{"via":"bearer"}',
        headers={"Authorization": f"Bearer {app.secret}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def test_unknown_or_missing_secret_is_401_with_a_json_error(receiver) -> None:
    for headers in ({"X-App-Secret": "not-a-secret"}, {}):
        response = await receiver.client.post("/api/v1/logs", content=b"{}", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
        assert response.json()["error"]["message"]


async def test_a_secret_writes_only_to_its_own_app(receiver) -> None:
    mine, theirs = await receiver.apps.register(), await receiver.apps.register()
    assert (await _post(receiver, mine, b'{"who":"me"}', "application/json")).status_code == 200
    assert _records(await receiver.apps.events(mine, expect=1)) == [{"who": "me"}]
    assert await receiver.apps.chunk_count(theirs) == 0


async def test_inactive_app_is_refused_with_403_within_moments(receiver) -> None:
    app = await receiver.apps.register()
    assert (await _post(receiver, app, b"{}", "application/json")).status_code == 200
    await receiver.apps.publish(app.profile.model_copy(update={"status": AppStatus.INACTIVE}))
    response = await _post(receiver, app, b"{}", "application/json")
    assert response.status_code == 403
    assert "inactive" in response.json()["error"]["message"]


async def test_rotated_secret_works_and_the_old_one_stops_after_the_grace_period(
    receiver,
) -> None:
    old = await receiver.apps.register()
    # A grace long enough for a loaded machine to publish and see the old
    # secret work first; then a sleep to the deadline the profile carries.
    new = await receiver.apps.rotate(old, grace=timedelta(seconds=10))
    assert (await _post(receiver, new, b'{"k":"new"}', "application/json")).status_code == 200
    assert (await _post(receiver, old, b'{"k":"old"}', "application/json")).status_code == 200
    deadline = new.profile.retiring_secrets[0].valid_until
    await asyncio.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.3)
    assert (await _post(receiver, old, b'{"k":"late"}', "application/json")).status_code == 401
    assert (await _post(receiver, new, b'{"k":"still"}', "application/json")).status_code == 200
    records = _records(await receiver.apps.events(old, expect=3))
    assert records == [{"k": "new"}, {"k": "old"}, {"k": "still"}]


BAD_BODIES = {
    "malformed json": (b'{"a": 1', "application/json", 400, "json"),
    "non-object event": (b'{"a":1}\n[1,2]\n', "application/x-ndjson", 400, "event 1"),
    "truncated msgpack": (msgpack.packb({"a": "b" * 50})[:-10], "application/msgpack", 400, ""),
    "unsupported type": (b"a\nb\n", "text/plain", 415, "text/plain"),
}


async def test_bad_bodies_get_the_documented_status_and_write_nothing(receiver) -> None:
    for name, (body, content_type, status, mentions) in BAD_BODIES.items():
        app = await receiver.apps.register()
        response = await _post(receiver, app, body, content_type)
        assert response.status_code == status, (name, response.text)
        message = response.json()["error"]["message"]
        assert mentions.lower() in message.lower(), (name, message)
        assert await receiver.apps.chunk_count(app) == 0, name


UNUSABLE_KEYS = {
    "too long": ({"Idempotency-Key": "k" * 256}, {}),
    "empty": ({}, {"idempotency_key": ""}),
    "not ascii": ({}, {"idempotency_key": "clé"}),
    "a control character": ({}, {"idempotency_key": "a\tb"}),
    "two different keys": ({"Idempotency-Key": "a"}, {"idempotency_key": "b"}),
}


async def test_an_unusable_idempotency_key_is_400_naming_it_and_writes_nothing(receiver) -> None:
    app = await receiver.apps.register()
    body = b'{"message":"m"}\n'
    for name, (headers, params) in UNUSABLE_KEYS.items():
        response = await receiver.client.post(
            "/api/v1/logs",
            content=body,
            headers={**app.headers, "Content-Type": "application/x-ndjson", **headers},
            params=params,
        )
        assert response.status_code == 400, (name, response.text)
        assert "idempotency" in response.json()["error"]["message"].lower(), name
    assert await receiver.apps.chunk_count(app) == 0
    # The draft writes the key as a quoted string: quoted or not, it is one key.
    response = await receiver.client.post(
        "/api/v1/logs",
        content=body,
        headers={**app.headers, "Content-Type": "application/x-ndjson", "Idempotency-Key": '"a"'},
        params={"idempotency_key": "a"},
    )
    assert response.json() == {"accepted": 1}


async def test_gzip_bomb_is_413_not_an_outage(receiver) -> None:
    app = await receiver.apps.register()
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    bomb = b"".join(compressor.compress(zeros) for _ in range(64)) + compressor.flush()
    response = await _post(receiver, app, bomb, "application/json", **{"Content-Encoding": "gzip"})
    assert response.status_code == 413, response.text
    assert await receiver.apps.chunk_count(app) == 0


async def test_oversized_event_is_413_naming_it_and_nothing_of_the_request_is_written(
    receiver,
) -> None:
    app = await receiver.apps.register()
    big = {"m": "x" * (receiver.settings.max_event_bytes + 10)}
    body = orjson.dumps([{"ok": 1}, big])
    response = await _post(receiver, app, body, "application/json")
    assert response.status_code == 413
    assert "Event 1" in response.json()["error"]["message"]
    assert await receiver.apps.chunk_count(app) == 0


async def test_large_request_is_split_into_chunks_that_keep_every_event_in_order(
    receiver,
) -> None:
    app = await receiver.apps.register()
    events = [{"i": i, "pad": "p" * 2000} for i in range(2000)]  # ~4 MB: several chunks
    body = b"".join(json.dumps(e).encode() + b"\n" for e in events)
    response = await _post(receiver, app, body, "application/x-ndjson")
    assert response.json() == {"accepted": 2000}
    assert await receiver.apps.chunk_count(app) > 1
    assert _records(await receiver.apps.events(app, expect=2000)) == events


async def test_over_rate_is_429_with_retry_after_and_other_apps_are_unaffected(receiver) -> None:
    slow = await receiver.apps.register(tps=10)  # bucket of 10 x 10 s = 100 events
    other = await receiver.apps.register(tps=10)
    batch = b"".join(b'{"n":%d}\n' % i for i in range(60))
    assert (await _post(receiver, slow, batch, "application/x-ndjson")).status_code == 200
    refused = await _post(receiver, slow, batch, "application/x-ndjson")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert (await _post(receiver, other, batch, "application/x-ndjson")).status_code == 200
    assert len(await receiver.apps.events(slow, expect=60)) == 60


async def test_usage_is_published_per_app_with_rejections_by_reason(receiver) -> None:
    app = await receiver.apps.register(tps=10)  # a bucket of 100 events
    many = b"".join(b'{"n":%d}\n' % i for i in range(100))
    assert (await _post(receiver, app, many, "application/x-ndjson")).status_code == 200
    two = b'{"a":1}\n{"a":2}\n'
    assert (await _post(receiver, app, two, "application/x-ndjson")).status_code == 429
    assert (await _post(receiver, app, b"[", "application/json")).status_code == 400

    consumer = create_consumer(receiver.apps.kafka, receiver.apps.topics.usage, group_id=None)
    await consumer.start()
    events = 0
    rejected: dict[str, int] = {}
    try:
        async with asyncio.timeout(20):
            while events < 100 or rejected != {"malformed": 1, "rate_limited": 2}:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        report = from_bytes(UsageReport, record.value)
                        if report.app_id != app.profile.app_id:
                            continue
                        events += report.events
                        for reason, count in report.rejected.items():
                            rejected[reason] = rejected.get(reason, 0) + count
    finally:
        await consumer.stop()
    assert events == 100
    assert rejected == {"malformed": 1, "rate_limited": 2}

    metrics = (await receiver.client.get("/metrics")).text
    slug = app.profile.slug
    assert f'barito_events_sent_total{{app="{slug}"}} 100.0' in metrics
    assert f'barito_events_dropped_total{{app="{slug}",reason="rate_limited"}} 2.0' in metrics
