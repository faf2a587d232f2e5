"""A chunk's events become documents: deterministic ids, daily UTC indices, Barito's fields."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from barito_common.chunk_codec import Event, decode_chunk, encode_chunk, format_event_time
from barito_flow.documents import Document, chunk_documents, chunk_id, index_name

FALLBACK = date(2020, 2, 29)


def documents(events: list[Event], *, chunk: str = "HSsVCLe1BZfGI1DW") -> list[Document]:
    return chunk_documents(
        events=events,
        app_slug="shop",
        index_prefix="barito-shop",
        chunk_id=chunk,
        fallback_day=FALLBACK,
    )


def test_a_chunk_read_or_written_again_targets_the_same_ids() -> None:
    events = [Event("2025-01-31T10:00:00.000Z", {"message": str(n)}) for n in range(3)]
    chunk = encode_chunk(events)

    first = documents(events, chunk=chunk_id(chunk))
    again = documents(decode_chunk(chunk), chunk=chunk_id(encode_chunk(decode_chunk(chunk))))

    assert [doc.id for doc in first] == [f"{chunk_id(chunk)}-{n}" for n in range(3)]
    assert again == first


def test_chunks_that_differ_in_any_event_get_other_ids() -> None:
    base = [Event("2025-01-31T10:00:00.000Z", {"message": "a"})]
    other_time = [Event("2025-01-31T10:00:00.001Z", {"message": "a"})]
    other_record = [Event("2025-01-31T10:00:00.000Z", {"message": "b"})]
    two = base * 2

    ids = {chunk_id(encode_chunk(events)) for events in (base, other_time, other_record, two)}

    assert len(ids) == 4
    assert len(chunk_id(encode_chunk(base))) == 16


def test_an_event_from_yesterday_goes_to_yesterdays_index() -> None:
    now = datetime(2025, 2, 1, 0, 0, 5, tzinfo=UTC)
    events = [
        Event(format_event_time(now), {"message": "today"}),
        Event(format_event_time(now - timedelta(seconds=10)), {"message": "late"}),
        Event(format_event_time(now), {"message": "today again"}),
    ]

    assert [doc.index for doc in documents(events)] == [
        "barito-shop-2025.02.01",
        "barito-shop-2025.01.31",
        "barito-shop-2025.02.01",
    ]


def test_a_time_sent_with_an_offset_is_indexed_by_its_utc_day() -> None:
    # 22:30 in New York on Jan 31 is 03:30 UTC on Feb 1; the receiver normalises it.
    sent = datetime(2025, 1, 31, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    normalised = format_event_time(sent)

    [doc] = documents([Event(normalised, {"message": "m"})])

    assert normalised == "2025-02-01T03:30:00.000Z"
    assert doc.index == "barito-shop-2025.02.01"


@pytest.mark.parametrize(
    ("event_time", "expected"),
    [
        ("2025-01-31T10:00:00.000Z", "barito-shop-2025.01.31"),
        ("2025-01-31T10:00:00Z", "barito-shop-2025.01.31"),
        ("2025-01-31T22:30:00-05:00", "barito-shop-2025.02.01"),
        ("2025-02-01T01:00:00.000+02:00", "barito-shop-2025.01.31"),
        ("2025-01-31T10:00:00", "barito-shop-2025.01.31"),  # no offset: UTC
        ("2025-01-31", "barito-shop-2025.01.31"),
        ("2024-02-29T00:00:00.000Z", "barito-shop-2024.02.29"),
    ],
)
def test_index_day_is_the_utc_day_of_the_event_time(event_time: str, expected: str) -> None:
    assert index_name("barito-shop", event_time, fallback_day=FALLBACK) == expected
    assert documents([Event(event_time, {})])[0].index == expected


@pytest.mark.parametrize(
    "event_time",
    [
        "",
        "yesterday",
        "2025-13-01T00:00:00.000Z",  # no month 13
        "2025-02-30T00:00:00.000Z",  # no Feb 30
        "2025-W05-1T00:00:00.000Z",  # a week date: not the canonical form
        "\uff12\uff10\uff12\uff15-01-31T00:00:00.000Z",  # fullwidth digits
        "1700000000",
    ],
)
def test_an_unreadable_time_goes_to_the_fallback_days_index(event_time: str) -> None:
    assert index_name("barito-shop", event_time, fallback_day=FALLBACK) == "barito-shop-2020.02.29"
    assert documents([Event(event_time, {})])[0].index == "barito-shop-2020.02.29"


def test_source_is_the_record_with_the_event_time_and_the_app_under_barito() -> None:
    record: dict[str, Any] = {"message": "boom", "level": "error", "nested": {"k": 1}}

    [doc] = documents([Event("2025-01-31T10:00:00.123Z", record)])

    assert doc.source == {
        "message": "boom",
        "level": "error",
        "nested": {"k": 1},
        "@timestamp": "2025-01-31T10:00:00.123Z",
        "barito": {"app": "shop"},
    }


def test_the_records_own_app_field_is_kept() -> None:
    [doc] = documents([Event("2025-01-31T10:00:00.000Z", {"app": "checkout-v2"})])

    assert doc.source["app"] == "checkout-v2"
    assert doc.source["barito"] == {"app": "shop"}


def test_the_event_time_replaces_the_records_timestamp_field() -> None:
    record = {"@timestamp": "2025-01-31T10:00:00Z", "message": "m"}

    [doc] = documents([Event("2025-01-31T10:00:00.000Z", record)])

    assert doc.source["@timestamp"] == "2025-01-31T10:00:00.000Z"


def test_the_record_as_received_is_kept_untouched_for_dead_letters() -> None:
    record = {"@timestamp": "not a time", "barito": "theirs", "message": "m"}
    original = dict(record)

    [doc] = documents([Event("2025-01-31T10:00:00.000Z", record)])

    assert doc.record == original
    assert record == original
    assert doc.source["barito"] == {"app": "shop"}


def test_a_document_gives_the_bulk_triple_of_the_search_adapter() -> None:
    [doc] = documents([Event("2025-01-31T10:00:00.000Z", {"message": "m"})])

    index, doc_id, source = doc.index, doc.id, doc.source

    assert (index, doc_id) == ("barito-shop-2025.01.31", "HSsVCLe1BZfGI1DW-0")
    assert source["message"] == "m"


def test_an_empty_chunk_has_no_documents() -> None:
    assert documents([]) == []
