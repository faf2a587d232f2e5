"""Property: no body makes the receiver answer 5xx while Kafka is up."""

from __future__ import annotations

import asyncio
import gzip
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CONTENT_TYPES = [
    None,
    "application/json",
    "application/x-ndjson",
    "application/msgpack",
    "application/x-msgpack",
    "text/plain",
    "application/json; charset=utf-8",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=12,
)


async def test_random_bodies_never_get_a_5xx(receiver) -> None:
    app = await receiver.apps.register()
    answers: list[int] = []

    # Hypothesis drives a synchronous test; it runs in a thread and hands each
    # request to this event loop, so the real app handles every generated body.
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        body=st.binary(max_size=512) | json_values.map(lambda value: json.dumps(value).encode()),
        content_type=st.sampled_from(CONTENT_TYPES),
        gzipped=st.booleans(),
        encoding=st.sampled_from([None, "gzip", "zstd", "br"]),
    )
    def probe(body: bytes, content_type: str | None, gzipped: bool, encoding: str | None) -> None:
        headers = dict(app.headers)
        if content_type:
            headers["Content-Type"] = content_type
        if gzipped:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        elif encoding:
            headers["Content-Encoding"] = encoding
        future = asyncio.run_coroutine_threadsafe(
            receiver.client.post("/api/v1/logs", content=body, headers=headers), loop
        )
        response = future.result(timeout=30)
        answers.append(response.status_code)
        assert response.status_code < 500, (body[:80], content_type, response.text)
        if response.status_code >= 400:
            assert response.json()["error"]["message"]

    await asyncio.to_thread(probe)
    assert len(answers) >= 100
