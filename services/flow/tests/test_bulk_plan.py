"""After a bulk request: which documents are indexed, already there, retried or dead-lettered."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from barito_common.schemas import DeadLetter, from_bytes, to_bytes
from barito_common.search import BulkItemResult, BulkOutcome, BulkResult
from barito_flow.bulk_plan import (
    Settlement,
    WholeFailure,
    after_whole_failure,
    backoff_delay,
    bulk_bytes,
    dead_letter,
    settle,
    slices,
)
from barito_flow.documents import Document

INDEX = "barito-shop-2025.01.31"


def doc(n: int) -> Document:
    record = {"message": f"event {n}", "@timestamp": "whenever"}
    source = {**record, "@timestamp": "2025-01-31T10:00:00.000Z", "barito": {"app": "shop"}}
    return Document(INDEX, f"0-17-{n}", source, record)


def item(
    n: int,
    outcome: BulkOutcome,
    status: int | None,
    error_type: str | None = None,
    reason: str | None = None,
) -> BulkItemResult:
    return BulkItemResult(INDEX, f"0-17-{n}", outcome, status, error_type, reason)


def test_settle_sorts_each_outcome_into_indexed_existing_retry_or_dead() -> None:
    documents = [doc(n) for n in range(6)]
    result = BulkResult(
        items=(
            item(0, BulkOutcome.OK, 201),
            item(1, BulkOutcome.CONFLICT, 409, "version_conflict_engine_exception", "exists"),
            item(2, BulkOutcome.RETRYABLE, 429, "es_rejected_execution_exception", "queue full"),
            item(3, BulkOutcome.RETRYABLE, None, None, "connection refused"),
            item(4, BulkOutcome.REJECTED, 400, "document_parsing_exception", "failed to parse [n]"),
            item(5, BulkOutcome.RETRYABLE, 403, "cluster_block_exception", "read-only"),
        )
    )

    settlement = settle(documents, result)

    assert settlement.done == 2
    assert settlement == Settlement(
        indexed=[documents[0]],
        existing=[documents[1]],
        retry=[documents[2], documents[3], documents[5]],
        dead=[(documents[4], "failed to parse [n]")],
    )


def test_a_rejection_without_a_reason_is_dead_lettered_with_its_error_type_or_a_default() -> None:
    result = BulkResult(
        items=(
            item(0, BulkOutcome.REJECTED, 400, "mapper_parsing_exception", None),
            item(1, BulkOutcome.REJECTED, 400, None, None),
        )
    )

    dead = settle([doc(0), doc(1)], result).dead

    assert [reason for _, reason in dead] == [
        "mapper_parsing_exception",
        "rejected by the search engine without a reason",
    ]


def test_all_ok_leaves_nothing_to_retry_or_dead_letter() -> None:
    documents = [doc(0), doc(1)]
    result = BulkResult(items=(item(0, BulkOutcome.OK, 201), item(1, BulkOutcome.OK, 201)))

    assert settle(documents, result) == Settlement(indexed=documents)


def test_settle_refuses_a_result_that_answers_other_documents() -> None:
    with pytest.raises(ValueError, match="2 documents"):
        settle([doc(0), doc(1)], BulkResult(items=(item(0, BulkOutcome.OK, 201),)))
    with pytest.raises(ValueError, match="'0-17-1' was sent"):
        settle([doc(1)], BulkResult(items=(item(0, BulkOutcome.OK, 201),)))


def test_backoff_ceiling_doubles_from_base_and_stops_at_the_cap() -> None:
    # With the jitter at its maximum, the delay is the ceiling itself.
    class Highest(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    delays = [
        backoff_delay(attempt, base_s=0.5, cap_s=30.0, rng=Highest())
        for attempt in (1, 2, 3, 4, 7, 8, 50)
    ]

    assert delays == [0.5, 1.0, 2.0, 4.0, 30.0, 30.0, 30.0]


def test_backoff_is_jittered_within_zero_and_the_ceiling() -> None:
    rng = random.Random(1234)

    for attempt in (1, 3, 10, 10_000):
        ceiling = min(30.0, 0.5 * 2 ** min(attempt - 1, 100))
        delays = [backoff_delay(attempt, rng=rng) for _ in range(500)]
        assert all(0.0 <= delay <= ceiling for delay in delays)
        # Full jitter: spread over the whole range, not clustered near the ceiling.
        assert min(delays) < ceiling * 0.1 < ceiling * 0.9 < max(delays)


def test_backoff_is_reproducible_with_a_seeded_generator() -> None:
    first = [backoff_delay(n, rng=random.Random(7)) for n in range(1, 6)]
    second = [backoff_delay(n, rng=random.Random(7)) for n in range(1, 6)]

    assert first == second


@pytest.mark.parametrize(
    ("attempt", "base_s", "cap_s"), [(0, 0.5, 30.0), (1, 0.0, 30.0), (1, 0.5, -1.0)]
)
def test_backoff_refuses_meaningless_arguments(attempt: int, base_s: float, cap_s: float) -> None:
    with pytest.raises(ValueError):
        backoff_delay(attempt, base_s=base_s, cap_s=cap_s)


def test_dead_letter_carries_the_record_as_received_and_where_it_came_from() -> None:
    document = doc(2)
    now = datetime(2025, 1, 31, 12, 0, tzinfo=timezone(timedelta(hours=7)))

    letter = dead_letter(
        document,
        "document_parsing_exception: failed to parse field [n]",
        app_id="app-1",
        app_slug="shop",
        topic="barito.logs.shop",
        partition=0,
        offset=17,
        index_in_chunk=2,
        now=now,
    )

    assert letter == DeadLetter(
        app_id="app-1",
        app_slug="shop",
        topic="barito.logs.shop",
        partition=0,
        offset=17,
        index_in_chunk=2,
        event={"message": "event 2", "@timestamp": "whenever"},
        reason="document_parsing_exception: failed to parse field [n]",
        failed_at=datetime(2025, 1, 31, 5, 0, tzinfo=UTC),
    )
    assert from_bytes(DeadLetter, to_bytes(letter)) == letter


def test_dead_letter_refuses_a_naive_time() -> None:
    with pytest.raises(ValidationError):
        dead_letter(
            doc(0),
            "reason",
            app_id="app-1",
            app_slug="shop",
            topic="barito.logs.shop",
            partition=0,
            offset=17,
            index_in_chunk=0,
            now=datetime(2025, 1, 31, 12, 0),
        )


def sized(n: int, message_chars: int) -> Document:
    return Document(INDEX, f"0-17-{n}", {"message": "x" * message_chars}, {})


def test_bulk_bytes_is_what_the_document_adds_to_the_request_body_the_engines_get() -> None:
    # What the search clients send: an action line and the source, compact JSON in
    # UTF-8, each ended by a newline.
    source = {
        "message": "café ☕ 日本",
        "n": 1.5,
        "tags": ["a", None, True],
        "barito": {"app": "s"},
    }
    document = Document(INDEX, "hNN2GT1uuAoWdlRe-12", source, {})
    action = {"create": {"_index": document.index, "_id": document.id}}
    body = b"".join(
        json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        for line in (action, source)
    )

    assert bulk_bytes(document) == len(body)


def test_slices_keep_every_document_in_order_within_both_limits() -> None:
    documents = [sized(n, message_chars=n * 37 % 500) for n in range(300)]
    max_bytes = 4_000

    bulks = slices(documents, max_docs=25, max_bytes=max_bytes)

    assert [doc for bulk in bulks for doc in bulk] == documents
    assert all(1 <= len(bulk) <= 25 for bulk in bulks)
    assert all(sum(bulk_bytes(doc) for doc in bulk) <= max_bytes for bulk in bulks)
    # Each bulk is as full as the limits allow: the next document would not fit.
    for bulk, following in itertools.pairwise(bulks):
        size = sum(bulk_bytes(doc) for doc in bulk)
        assert len(bulk) == 25 or size + bulk_bytes(following[0]) > max_bytes


def test_a_document_over_max_bytes_gets_a_bulk_of_its_own() -> None:
    small, huge = sized(0, 10), sized(1, 10_000)

    bulks = slices([small, huge, sized(2, 10)], max_docs=100, max_bytes=1_000)

    assert bulks == [[small], [huge], [sized(2, 10)]]


def test_slices_of_nothing_are_no_bulks() -> None:
    assert slices([], max_docs=10, max_bytes=1_000) == []


@pytest.mark.parametrize(
    ("status", "documents", "expected"),
    [
        (413, 2_000, WholeFailure.SPLIT),
        (413, 2, WholeFailure.SPLIT),
        (413, 1, WholeFailure.DEAD_LETTER),
        (401, 1, WholeFailure.RETRY),
        (403, 10, WholeFailure.RETRY),
        (400, 1, WholeFailure.RETRY),
        (None, 1, WholeFailure.RETRY),
    ],
)
def test_only_a_too_large_bulk_is_split_and_only_a_single_too_large_document_dead_lettered(
    status: int | None, documents: int, expected: WholeFailure
) -> None:
    assert after_whole_failure(status, documents) is expected
