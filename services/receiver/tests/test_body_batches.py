"""A whole body is read and dated exactly as each of its lines alone would be.

The body is read with one orjson call and dated by ``record_times`` with
C-level passes and one parse per distinct value; these tests hold both to
reading and dating record by record, on the forms agents send and on
mixtures that would trip a shortcut.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from barito_receiver.body_formats import parse_events
from barito_receiver.event_time import TIME_KEYS, record_time, record_times
from barito_receiver.json_body import parse_json_sequence

FALLBACK = "2024-05-06T07:08:09.010Z"

_times = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat(timespec="milliseconds") + "Z"),
    st.sampled_from(
        [
            "2023-11-14T22:13:20.500Z",
            "2023-11-14T22:13:20.501Z",
            "2023-11-14 22:13:20.500000",
            "2023-11-14T22:13:20.500+07:00",
            "2023-W46-2T22:13:20.500Z",  # an ISO week date: read, then rewritten
            "2016-12-31T23:59:60.000Z",  # a leap second: not a time here
            "2023-11-14T22:13:20.5Z",
            "2023-11-14T22:13:20.５００Z",  # noqa: RUF001  full-width digits
            "1700000000.5",
            "1700000000500",
            "",
            "now",
        ]
    ),
    st.just(1),
    st.just(1.0),
    st.just(1_700_000_000_123_999_744),
    st.just(1.700000000123999744e18),
    st.lists(st.integers(), max_size=2),
)
_records = st.lists(
    st.dictionaries(st.sampled_from([*TIME_KEYS, "message"]), _times, max_size=4), max_size=30
)


@given(_records)
def test_a_body_is_dated_as_each_of_its_records_alone(records: list[dict[str, Any]]) -> None:
    expected = [record_time(record) or FALLBACK for record in records]
    assert record_times(records, FALLBACK) == expected


def test_true_and_one_in_one_body_are_not_taken_for_the_same_time() -> None:
    records: list[dict[str, Any]] = [{"time": True}, {"time": 1}, {"time": 1.0}]
    assert record_times(records, FALLBACK) == [
        FALLBACK,
        "1970-01-01T00:00:01.000Z",
        "1970-01-01T00:00:01.000Z",
    ]


def test_records_without_the_first_time_field_fall_back_to_the_next_one() -> None:
    records: list[dict[str, Any]] = [
        {"@timestamp": "2023-11-14T22:13:20.500Z", "time": 0},
        {"time": 1700000000.5},
        {"@timestamp": None, "timestamp": "2023-11-14T22:13:20.5Z"},
        {"date": "2023-11-14 22:13:20.500000"},
        {"message": "no time"},
    ]
    assert record_times(records, FALLBACK) == ["2023-11-14T22:13:20.500Z"] * 4 + [FALLBACK]


def test_ndjson_body_with_blank_and_crlf_lines_gives_one_event_per_record() -> None:
    body = (
        b'\r\n{"@timestamp":"2023-11-14T22:13:20.500Z","n":1}\r\n\r\n'
        b'  {"n":2,"time":1700000000.5}  \n\x0b\n{"n":3}\n\n'
    )
    events = parse_events(
        body,
        "application/x-ndjson",
        received_at=datetime.fromisoformat(FALLBACK),
    )
    assert [event.record["n"] for event in events] == [1, 2, 3]
    assert [event.time for event in events] == ["2023-11-14T22:13:20.500Z"] * 2 + [FALLBACK]


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
_lines = st.lists(
    st.one_of(
        _json.map(orjson.dumps),
        st.sampled_from([b"", b" ", b"\r", b"\t \r", b'{"a": 1}\r', b' {"b": [1, 2]} ']),
    ),
    min_size=1,
    max_size=12,
)


@given(_lines, st.sampled_from([b"", b"\n", b"\n\n", b"\r\n"]))
def test_ndjson_reads_as_its_lines_read_one_by_one(lines: list[bytes], end: bytes) -> None:
    body = b"\n".join(lines) + end
    expected = [orjson.loads(line) for line in lines if line.strip()]
    if expected:
        assert parse_json_sequence(body) == expected
