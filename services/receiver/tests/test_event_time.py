"""Event times: every form agents send becomes ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from barito_common.chunk_codec import format_event_time
from barito_receiver.event_time import (
    TIME_KEYS,
    EventTime,
    event_time,
    normalise_time,
    parse_time,
    record_time,
)

RECEIVED = datetime(2024, 5, 6, 7, 8, 9, 10_000, tzinfo=UTC)
RECEIVED_TEXT = "2024-05-06T07:08:09.010Z"
FLUENT_BIT_T = "2023-11-14T22:13:20.500Z"  # Fluent Bit's example event, t=1700000000.5


@pytest.mark.parametrize(
    "value",
    [
        1700000000.5,  # json_date_format double (the default)
        "2023-11-14T22:13:20.500000Z",  # iso8601
        1700000000500,  # epoch_ms
        "2023-11-14 22:13:20.500000",  # java_sql_timestamp, no zone: UTC
        EventTime(1700000000, 500_000_000),  # msgpack EventTime
    ],
)
def test_every_fluent_bit_date_format_gives_the_same_time(value: Any) -> None:
    assert normalise_time(value, received_at=RECEIVED) == FLUENT_BIT_T


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-11-14T22:13:20.500Z", "2023-11-14T22:13:20.500Z"),
        ("2023-11-14T22:13:20Z", "2023-11-14T22:13:20.000Z"),
        ("2023-11-14T22:13:20.5Z", "2023-11-14T22:13:20.500Z"),
        ("2023-11-14T22:13:20.123456789Z", "2023-11-14T22:13:20.123Z"),  # Vector: nanoseconds
        ("2023-11-14T22:13:20.999999Z", "2023-11-14T22:13:20.999Z"),  # truncated, not rounded
        ("2023-11-14T22:13:20+00:00", "2023-11-14T22:13:20.000Z"),
        ("2023-11-15T05:43:20.250+07:30", "2023-11-14T22:13:20.250Z"),
        ("2023-11-14T20:13:20-02:00", "2023-11-14T22:13:20.000Z"),
        ("2023-11-14T22:13:20", "2023-11-14T22:13:20.000Z"),
        ("2023-11-14 22:13:20", "2023-11-14T22:13:20.000Z"),
        ("2023-11-14", "2023-11-14T00:00:00.000Z"),
        ("20231114T221320Z", "2023-11-14T22:13:20.000Z"),
        ("2025-07-29T10:00:00Z", "2025-07-29T10:00:00.000Z"),  # the Barito plugin's @timestamp
    ],
)
def test_iso_8601_strings_are_rendered_in_utc_with_milliseconds(value: str, expected: str) -> None:
    assert normalise_time(value, received_at=RECEIVED) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1700000000, "2023-11-14T22:13:20.000Z"),  # seconds
        (1700000000.123, "2023-11-14T22:13:20.123Z"),  # not .122 from float error
        (1700000000123, "2023-11-14T22:13:20.123Z"),  # milliseconds
        (1700000000123.9, "2023-11-14T22:13:20.123Z"),
        (1700000000123456, "2023-11-14T22:13:20.123Z"),  # microseconds
        (1700000000123456789, "2023-11-14T22:13:20.123Z"),  # nanoseconds
        (99999999999, "5138-11-16T09:46:39.000Z"),  # the last value read as seconds
        (100000000001, "1973-03-03T09:46:40.001Z"),  # the first read as milliseconds
        (0, "1970-01-01T00:00:00.000Z"),
        (-1.5, "1969-12-31T23:59:58.500Z"),
        ("1700000000", "2023-11-14T22:13:20.000Z"),
        ("1700000000.5", "2023-11-14T22:13:20.500Z"),
        ("1700000000500", "2023-11-14T22:13:20.500Z"),
    ],
)
def test_epoch_numbers_are_read_in_the_unit_their_magnitude_implies(
    value: float | str, expected: str
) -> None:
    assert normalise_time(value, received_at=RECEIVED) == expected


def test_consecutive_times_in_different_seconds_are_each_right() -> None:
    values = [1700000000.5, 1700000000.75, 1700000001.0, 1700000000.25, 1700000001000]
    assert [parse_time(value) for value in values] == [
        "2023-11-14T22:13:20.500Z",
        "2023-11-14T22:13:20.750Z",
        "2023-11-14T22:13:21.000Z",
        "2023-11-14T22:13:20.250Z",
        "2023-11-14T22:13:21.000Z",
    ]


def test_datetimes_are_converted_to_utc_and_naive_ones_are_taken_as_utc() -> None:
    plus_one = timezone(timedelta(hours=1))
    aware = datetime(2023, 11, 14, 23, 13, 20, 500_000, tzinfo=plus_one)
    assert normalise_time(aware, received_at=RECEIVED) == FLUENT_BIT_T
    naive = datetime(2023, 11, 14, 22, 13, 20, 500_000)
    assert normalise_time(naive, received_at=RECEIVED) == FLUENT_BIT_T


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        None,
        float("nan"),
        float("inf"),
        -float("inf"),
        1e300,
        2**80,
        "",
        "yesterday",
        "14/Nov/2023:22:13:20 +0000",
        "2023-13-01T00:00:00Z",
        "2023-11-14T22:13:20.5z",
        "nan",
        "--1",
        "²",
        "0001-01-01T00:00:00+01:00",  # before year 1 once in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 once in UTC
        [1700000000],
        {"seconds": 1700000000},
        b"1700000000",
    ],
)
def test_values_that_are_not_times_give_the_receive_time(value: Any) -> None:
    assert parse_time(value) is None
    assert normalise_time(value, received_at=RECEIVED) == RECEIVED_TEXT


def test_receive_time_is_rendered_like_every_other_event_time() -> None:
    received = datetime(2024, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    assert normalise_time("garbage", received_at=received) == format_event_time(received)
    assert normalise_time("garbage", received_at=received) == "2024-01-01T00:00:00.000Z"


def test_event_time_prefers_at_timestamp_then_time_then_timestamp_then_date() -> None:
    assert TIME_KEYS == ("@timestamp", "time", "timestamp", "date")
    record = {
        "date": 1700000003,
        "timestamp": 1700000002,
        "time": 1700000001,
        "@timestamp": 1700000000,
    }
    assert event_time(record, received_at=RECEIVED) == "2023-11-14T22:13:20.000Z"
    del record["@timestamp"]
    assert event_time(record, received_at=RECEIVED) == "2023-11-14T22:13:21.000Z"
    del record["time"]
    assert event_time(record, received_at=RECEIVED) == "2023-11-14T22:13:22.000Z"
    del record["timestamp"]
    assert event_time(record, received_at=RECEIVED) == "2023-11-14T22:13:23.000Z"
    del record["date"]
    assert event_time(record, received_at=RECEIVED) == RECEIVED_TEXT


def test_an_invalid_first_time_field_gives_the_receive_time_not_the_next_field() -> None:
    record = {"@timestamp": "not a time", "time": 1700000000}
    assert event_time(record, received_at=RECEIVED) == RECEIVED_TEXT
    assert record_time(record) is None


def test_a_null_time_field_counts_as_absent() -> None:
    record = {"@timestamp": None, "time": 1700000000.5}
    assert event_time(record, received_at=RECEIVED) == FLUENT_BIT_T


def test_event_time_is_read_from_the_msgpack_ext_payload() -> None:
    payload = bytes.fromhex("6553f1001dcd6500")  # 1700000000 s, 500000000 ns
    assert EventTime.from_ext(payload) == EventTime(1700000000, 500_000_000)
    assert parse_time(EventTime.from_ext(payload)) == FLUENT_BIT_T
