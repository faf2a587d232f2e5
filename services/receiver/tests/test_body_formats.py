"""Choosing a body's format, and what every format promises alike.

The Content-Type picks the parser (or the first byte does, without one), and
whichever runs, a body gives chunk-ready events or a ``BodyError`` that quotes
little of it. Each format's own cases: ``test_json_bodies.py``, ``test_msgpack_bodies.py``.
"""

from __future__ import annotations

import re
from typing import Any

import msgpack
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from barito_common.chunk_codec import Event, encode_chunk
from barito_receiver.body_formats import (
    JSON_TYPES,
    MSGPACK_TYPES,
    NDJSON_TYPES,
    parse_events,
)
from barito_receiver.decode_errors import (
    BodyError,
    BodyTooLarge,
    InvalidEvent,
    MalformedBody,
    UnsupportedMediaType,
)
from barito_testing.agent_bodies import (
    FLUENT_BIT_MSGPACK,
    FLUENT_BIT_MSGPACK_EVENTS,
    FLUENTD_EVENTS,
    RECEIVED,
)


def parse(body: bytes, content_type: str | None, **kwargs: Any) -> list[Event]:
    return parse_events(body, content_type, received_at=RECEIVED, **kwargs)


# --- content types and sniffing -----------------------------------------------------


def test_fluentd_out_http_single_value_text_is_an_unsupported_media_type() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        parse(b"a\nb\n", "text/plain")
    assert caught.value.status == 415
    message = str(caught.value)
    assert "'text/plain' is not supported" in message
    assert "application/json" in message and "application/x-ndjson" in message
    assert "application/msgpack" in message


@pytest.mark.parametrize("content_type", [None, "", "application/octet-stream"])
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'[{"msg":"a","n":1},{"msg":"b","n":2}]', FLUENTD_EVENTS),
        (b'\n  {"msg":"a","n":1}\n{"msg":"b","n":2}\n', FLUENTD_EVENTS),
        (b'{"msg":"a","n":1}{"msg":"b","n":2}', FLUENTD_EVENTS),
        (bytes.fromhex("82a36d7367a161a16e0182a36d7367a162a16e02"), FLUENTD_EVENTS),
        (FLUENT_BIT_MSGPACK, FLUENT_BIT_MSGPACK_EVENTS),
    ],
)
def test_the_format_is_sniffed_without_a_content_type(
    content_type: str | None, body: bytes, expected: list[Event]
) -> None:
    assert parse(body, content_type) == expected


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "Application/JSON",
        "APPLICATION/JSON ; charset=UTF-8",
        " application/json",
    ],
)
def test_content_type_parameters_and_case_are_ignored(content_type: str) -> None:
    assert parse(b'[{"msg":"a","n":1},{"msg":"b","n":2}]', content_type) == FLUENTD_EVENTS


# --- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "index", "message"),
    [
        (
            b'[{"a":1},{"b":2},[3],{"c":4}]',
            "application/json",
            2,
            "event 2 is not a JSON object (got array)",
        ),
        (b'{"a":1}\n{"b":2}\n"text"\n', "application/x-ndjson", 2, "(got string)"),
        (
            b'{"a":1}{"b":2}{"c":3}7',
            "application/json",
            3,
            "event 3 is not a JSON object (got number)",
        ),
        (b"null", "application/json", 0, "(got null)"),
        (b'{"items":[{"a":1},true]}', "application/json", 1, "(got boolean)"),
        (
            msgpack.packb({"a": 1}) + msgpack.packb([1, 2, 3]),
            "application/msgpack",
            1,
            "event 1 is not a msgpack map (got integer)",
        ),
        (msgpack.packb({"a": 1}) + msgpack.packb("x"), "application/msgpack", 1, "(got string)"),
    ],
)
def test_an_event_that_is_not_an_object_is_named_by_its_index(
    body: bytes, content_type: str, index: int, message: str
) -> None:
    with pytest.raises(InvalidEvent, match=re.escape(message)) as caught:
        parse(body, content_type)
    assert caught.value.index == index
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b"", None),
        (b" \n\t\r\n", "application/x-ndjson"),
        (b"[]", "application/json"),
        (b'{"items":[]}', "application/json"),
        (b"\n\n", "application/json"),
        (b"", "application/msgpack"),
        (msgpack.packb([]), "application/msgpack"),
    ],
)
def test_a_body_without_events_is_malformed(body: bytes, content_type: str | None) -> None:
    with pytest.raises(MalformedBody, match="no events in body"):
        parse(body, content_type)


def test_an_unknown_content_type_is_refused_even_with_an_empty_body() -> None:
    with pytest.raises(UnsupportedMediaType):
        parse(b"", "text/csv")


def test_error_messages_never_quote_much_of_the_payload() -> None:
    secret = b"s3cr3t" * 100_000
    for body, content_type in [
        (b'{"token":"' + secret + b'"', "application/json"),
        (b'{"a":1}\n' + secret, "application/x-ndjson"),
        (secret, "text/" + "x" * 10_000),
    ]:
        with pytest.raises(BodyError) as caught:
            parse(body, content_type)
        assert len(str(caught.value)) < 300


def test_more_events_than_max_events_is_too_large() -> None:
    lines = b'{"msg":"a","n":1}\n{"msg":"b","n":2}\n'
    assert parse(lines, "application/x-ndjson", max_events=2) == FLUENTD_EVENTS
    with pytest.raises(BodyTooLarge, match="over the limit of 1") as caught:
        parse(lines, "application/x-ndjson", max_events=1)
    assert caught.value.status == 413
    with pytest.raises(BodyTooLarge):
        parse(FLUENT_BIT_MSGPACK, "application/msgpack", max_events=1)


# --- any body at all ----------------------------------------------------------------

INT64 = st.integers(-(2**63), 2**63 - 1)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | INT64 | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)
MSGPACK_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | INT64
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.builds(msgpack.ExtType, st.integers(0, 127), st.binary(max_size=9)),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=4) | INT64, children, max_size=4)
    ),
    max_leaves=12,
)


def _json(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


BODIES = st.one_of(
    st.binary(max_size=300),
    st.lists(JSON_VALUES, max_size=4).map(lambda values: b"\n".join(map(_json, values))),
    st.lists(JSON_VALUES, max_size=4).map(lambda values: b"".join(map(_json, values))),
    st.lists(MSGPACK_VALUES, max_size=4).map(lambda values: b"".join(map(msgpack.packb, values))),
    st.tuples(st.binary(min_size=1, max_size=20), st.integers(0, 40)).map(
        lambda cut: FLUENT_BIT_MSGPACK[: cut[1]] + cut[0] + FLUENT_BIT_MSGPACK[cut[1] :]
    ),
)
CONTENT_TYPES = st.sampled_from(
    [None, "application/octet-stream", "text/plain", *JSON_TYPES, *NDJSON_TYPES, *MSGPACK_TYPES]
)


@settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(body=BODIES, content_type=CONTENT_TYPES)
def test_any_body_gives_chunk_ready_events_or_a_body_error_and_nothing_else(
    body: bytes, content_type: str | None
) -> None:
    try:
        events = parse(body, content_type)
    except BodyError as err:
        assert err.status in (400, 413, 415)
        assert len(str(err)) < 400
        return
    assert events
    for event in events:
        assert type(event.record) is dict
        assert len(event.time) == 24 and event.time.endswith("Z")
    encode_chunk(events)  # the receiver writes them as chunks next: that must not fail
