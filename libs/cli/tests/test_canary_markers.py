"""The canary's bookkeeping: when a marker is seen, missing, duplicated or out of order."""

from __future__ import annotations

import json

import pytest

from barito_cli.canary_markers import PATHS, Found, Ledger, Marker, Path, marker_id

TAIL, SEARCH = Path.TAIL, Path.SEARCH
EPOCH = 1_750_000_000.0


def _written(ledger: Ledger, count: int, *, at: float = 0.0) -> list[Marker]:
    markers = [ledger.new_marker(sent_at=EPOCH + n) for n in range(count)]
    for marker in markers:
        assert ledger.acked(marker.seq, at=at) == []
    return markers


def _event(run: str, seq: int) -> dict[str, object]:
    return {"message": "x", "canary": {"run": run, "seq": seq}}


def test_a_marker_is_one_ndjson_event_with_run_sequence_and_send_time() -> None:
    marker = Marker("r1", 7, 1_750_000_000.25)
    (line,) = marker.body().splitlines()
    event = json.loads(line)
    assert event["@timestamp"] == "2025-06-15T15:06:40.250Z"
    assert event["canary"] == {"run": "r1", "seq": 7}
    assert marker_id(event) == ("r1", 7)
    # The same bytes and key on every retry: the receiver names the request by both.
    assert marker.body() == Marker("r1", 7, 1_750_000_000.25).body()
    assert marker.idempotency_key == "barito-canary-r1-7"


@pytest.mark.parametrize(
    "event",
    [
        {"message": "an ordinary log line"},
        {"canary": "yes"},
        {"canary": {"run": "r1"}},
        {"canary": {"run": "r1", "seq": "3"}},
        {"canary": {"run": "r1", "seq": True}},
        {"canary": {"run": 1, "seq": 3}},
    ],
)
def test_other_events_are_not_markers(event: dict[str, object]) -> None:
    assert marker_id(event) is None


def test_markers_seen_on_both_paths_within_the_deadline_count_once_with_their_latency() -> None:
    ledger = Ledger("r1", deadline_s=10)
    markers = _written(ledger, 3, at=100.0)
    for marker in markers:
        tail = ledger.seen(TAIL, marker.event(), at=100.05)
        assert (tail.kind, tail.latency_s) == ("first", pytest.approx(0.05))
        assert not tail.out_of_order
        found = ledger.seen(SEARCH, marker.event(), at=101.5, document_id=f"doc-{marker.seq}")
        assert (found.kind, found.latency_s) == ("first", pytest.approx(1.5))
    assert ledger.expire(now=200.0) == []
    assert [ledger.pending(path) for path in PATHS] == [0, 0]


def test_an_unseen_marker_is_missing_once_its_deadline_passes_and_only_once() -> None:
    ledger = Ledger("r1", deadline_s=10)
    (marker,) = _written(ledger, 1, at=100.0)
    ledger.seen(TAIL, marker.event(), at=100.1)
    assert ledger.pending(SEARCH) == 1
    assert ledger.expire(now=109.9) == []
    assert ledger.expire(now=110.0) == [(SEARCH, 0)]
    assert ledger.expire(now=120.0) == []
    assert ledger.pending(SEARCH) == 0
    # Arriving after all, it stays missing; its latency is still told.
    late = ledger.seen(SEARCH, marker.event(), at=115.0, document_id="d")
    assert (late.kind, late.latency_s) == ("late", pytest.approx(15.0))


def test_a_marker_on_the_tail_before_its_ack_counts_at_the_ack_with_no_latency() -> None:
    ledger = Ledger("r1", deadline_s=10)
    marker = ledger.new_marker(sent_at=EPOCH)
    # Not yet expected: a marker never acknowledged is expected nowhere.
    assert ledger.seen(TAIL, marker.event(), at=5.0).kind == "early"
    assert ledger.pending(TAIL) == 0
    assert ledger.expire(now=1000.0) == []
    assert ledger.acked(marker.seq, at=5.2) == [Found(TAIL, 0.0)]
    assert ledger.pending(TAIL) == 0 and ledger.pending(SEARCH) == 1


def test_a_marker_delivered_twice_on_the_tail_is_a_duplicate() -> None:
    ledger = Ledger("r1", deadline_s=10)
    (marker,) = _written(ledger, 1)
    assert ledger.seen(TAIL, marker.event(), at=1.0).kind == "first"
    assert ledger.seen(TAIL, marker.event(), at=1.1).kind == "duplicate"


def test_search_reading_the_same_document_again_is_no_news_but_a_second_document_is() -> None:
    ledger = Ledger("r1", deadline_s=10)
    (marker,) = _written(ledger, 1)
    assert ledger.seen(SEARCH, marker.event(), at=1.0, document_id="a").kind == "first"
    for at in (2.0, 3.0):
        assert ledger.seen(SEARCH, marker.event(), at=at, document_id="a").kind == "ignored"
    assert ledger.seen(SEARCH, marker.event(), at=4.0, document_id="b").kind == "duplicate"
    assert ledger.seen(SEARCH, marker.event(), at=5.0, document_id="b").kind == "ignored"


def test_a_lower_sequence_after_a_higher_one_on_the_tail_is_out_of_order() -> None:
    ledger = Ledger("r1", deadline_s=10)
    markers = _written(ledger, 4)
    order = [0, 2, 1, 3]
    flags = [ledger.seen(TAIL, markers[n].event(), at=1.0).out_of_order for n in order]
    assert flags == [False, False, True, False]
    # Search has no order to keep.
    assert not ledger.seen(SEARCH, markers[0].event(), at=2.0, document_id="x").out_of_order


def test_markers_of_other_runs_and_unknown_sequences_are_ignored() -> None:
    ledger = Ledger("r1", deadline_s=10)
    _written(ledger, 2)
    for event in (_event("r0", 0), _event("r1", 2), _event("r1", -1), {"message": "x"}):
        assert ledger.seen(TAIL, event, at=1.0).kind == "ignored"
    assert ledger.pending(TAIL) == 2


def test_written_equals_seen_plus_missing_plus_pending_on_each_path() -> None:
    ledger = Ledger("r1", deadline_s=10)
    markers = _written(ledger, 10, at=0.0)
    for marker in markers[:7]:
        ledger.seen(TAIL, marker.event(), at=1.0)
    for marker in markers[:4]:
        ledger.seen(SEARCH, marker.event(), at=2.0, document_id=str(marker.seq))
    assert ledger.expire(now=5.0) == []
    assert (ledger.pending(TAIL), ledger.pending(SEARCH)) == (3, 6)
    missing = ledger.expire(now=10.0)
    assert sorted(missing) == sorted(
        [(TAIL, n) for n in range(7, 10)] + [(SEARCH, n) for n in range(4, 10)]
    )
    assert (ledger.pending(TAIL), ledger.pending(SEARCH)) == (0, 0)


def test_the_search_window_reaches_the_oldest_marker_not_yet_found_or_one_deadline_back() -> None:
    ledger = Ledger("r1", deadline_s=30)
    now = EPOCH + 1000
    first = ledger.new_marker(sent_at=EPOCH)
    ledger.acked(first.seq, at=0.0)
    assert ledger.search_window_start(now_wall=now) == EPOCH
    ledger.seen(SEARCH, first.event(), at=1.0, document_id="a")
    assert ledger.search_window_start(now_wall=now) == now - 30


def test_markers_seen_everywhere_are_forgotten_after_their_retention() -> None:
    ledger = Ledger("r1", deadline_s=10, retain_s=20)
    seen, lost = _written(ledger, 2, at=0.0)
    for path in PATHS:
        ledger.seen(path, seen.event(), at=1.0, document_id="a")
    ledger.expire(now=15.0)  # `lost` is missing on both paths
    ledger.prune(now=20.0)
    assert ledger.seen(SEARCH, seen.event(), at=20.0, document_id="b").kind == "duplicate"
    ledger.prune(now=21.0)
    # Forgotten: it was seen on the tail already, so there it is a duplicate;
    # search cannot tell a new document from an old one any more.
    assert ledger.seen(TAIL, seen.event(), at=22.0).kind == "duplicate"
    assert ledger.seen(SEARCH, seen.event(), at=22.0, document_id="c").kind == "ignored"
    # A missing marker is remembered: arriving late is not a duplicate.
    assert ledger.seen(TAIL, lost.event(), at=22.0).kind == "late"
