"""The cyclic GC, paused while a body is decoded, is on again after every answer."""

from __future__ import annotations

import gc

import orjson


async def test_cyclic_gc_is_on_again_after_accepted_and_refused_bodies(receiver) -> None:
    app = await receiver.apps.register()
    url = "/api/v1/logs"
    answers = []
    for body, content_type in [
        (b'{"msg":"a"}\n{"msg":"b"}\n', "application/x-ndjson"),
        (b'{"msg":"a"}\n{"msg":', "application/x-ndjson"),
        (b"[1]", "application/json"),
        (orjson.dumps({"msg": "a"}), "text/plain"),
    ]:
        headers = {**app.headers, "Content-Type": content_type}
        answers.append((await receiver.client.post(url, content=body, headers=headers)).status_code)
        assert gc.isenabled()
    assert answers == [200, 400, 400, 415]
