"""Frames carry the event with @timestamp and a token just past that event."""

from __future__ import annotations

import orjson

from barito_common.chunk_codec import Event
from barito_server.resume_token import Position, decode_token
from barito_server.tail_record import TailRecord


def test_each_frame_resumes_just_past_its_event() -> None:
    events = [Event(f"2026-01-01T00:00:0{i}.000Z", {"n": i}) for i in range(3)]
    record = TailRecord("app", 1, 41, events)
    frames = [orjson.loads(record.frame(i, ("0:7:0,", ",2:9:1"))) for i in range(3)]
    assert [f["event"] for f in frames] == [
        {"n": i, "@timestamp": f"2026-01-01T00:00:0{i}.000Z"} for i in range(3)
    ]
    tokens = [decode_token(f["resume"], app="app") for f in frames]
    assert [t[1] for t in tokens] == [Position(41, 1), Position(41, 2), Position(42, 0)]
    assert all(t[0] == Position(7, 0) and t[2] == Position(9, 1) for t in tokens)


def test_an_unfiltered_client_gets_every_frame_of_the_record_in_order() -> None:
    events = [Event(f"2026-01-01T00:00:0{i}.000Z", {"n": i}) for i in range(3)]
    record = TailRecord("app", 0, 5, events)
    around = ("", ",1:3:0")
    whole = record.all_frames(around)
    assert whole == b"".join(record.frame(i, around) for i in range(3))
    assert [orjson.loads(line)["event"]["n"] for line in whole.splitlines()] == [0, 1, 2]
    # Another client standing elsewhere in partition 1 gets its own tokens.
    other = record.all_frames(("", ",1:4:0"))
    assert decode_token(orjson.loads(other.splitlines()[0])["resume"], app="app")[1] == Position(
        4, 0
    )
