"""What one usage report or dead letter adds to an app's minute (pure, no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from barito_common.schemas import DeadLetter, UsageReport
from barito_market.usage.rollup import dead_letter_delta, merged_counts, report_delta

APP = str(uuid.uuid4())
START = datetime(2025, 1, 31, 10, 0, 55, tzinfo=UTC)


def report(source: str, **changes: Any) -> UsageReport:
    fields: dict[str, Any] = {
        "app_id": APP,
        "source": source,
        "window_start": START,
        "window_end": START + timedelta(seconds=10),
        "events": 10,
        "bytes": 1000,
        **changes,
    }
    return UsageReport(**fields)


def letter(**changes: Any) -> DeadLetter:
    fields: dict[str, Any] = {
        "app_id": APP,
        "app_slug": "shop",
        "topic": "barito.logs.shop",
        "partition": 1,
        "offset": 42,
        "index_in_chunk": 3,
        "event": {"n": "x"},
        "reason": "mapper_parsing_exception",
        "failed_at": START,
        **changes,
    }
    return DeadLetter(**fields)


def test_a_receiver_report_counts_received_and_rejected_in_the_minute_of_its_end() -> None:
    delta = report_delta(report("receiver", rejected={"rate_limited": 4, "bad_event": 0}))

    assert delta is not None
    assert delta.minute == datetime(2025, 1, 31, 10, 1, tzinfo=UTC)
    assert (delta.received_events, delta.received_bytes) == (10, 1000)
    assert dict(delta.rejected) == {"rate_limited": 4}
    assert (delta.indexed_events, delta.indexed_bytes, delta.dead_lettered) == (0, 0, 0)


def test_a_flow_report_counts_indexed_and_never_its_dead_letters() -> None:
    delta = report_delta(report("flow", dead_lettered=5))

    assert delta is not None
    assert (delta.indexed_events, delta.indexed_bytes) == (10, 1000)
    assert (delta.received_events, delta.dead_lettered) == (0, 0)


def test_a_report_is_keyed_by_its_id_so_a_resent_copy_is_recognised() -> None:
    first = report("receiver")
    resent = first.model_copy()

    assert report_delta(first).key == report_delta(resent).key == first.report_id  # type: ignore[union-attr]
    assert report_delta(report("receiver")).key != first.report_id  # type: ignore[union-attr]


def test_a_dead_letter_counts_one_in_the_minute_it_failed_keyed_by_its_coordinates() -> None:
    delta = dead_letter_delta(letter())

    assert delta is not None
    assert delta.dead_lettered == 1
    assert delta.minute == datetime(2025, 1, 31, 10, 0, tzinfo=UTC)
    assert delta.key == dead_letter_delta(letter(reason="another try")).key  # type: ignore[union-attr]
    assert delta.key != dead_letter_delta(letter(index_in_chunk=4)).key  # type: ignore[union-attr]


def test_an_app_id_that_no_market_app_can_have_is_skipped() -> None:
    assert report_delta(report("receiver", app_id="g1")) is None
    assert dead_letter_delta(letter(app_id="not-a-uuid")) is None


def test_rejections_add_up_reason_by_reason() -> None:
    assert merged_counts({"a": 1, "b": 2}, {"b": 3, "c": 4}) == {"a": 1, "b": 5, "c": 4}
