"""A sample event in a notification is bounded, however large the event was."""

from __future__ import annotations

import json

from barito_common.alerts import MAX_SAMPLE_BYTES, bounded_sample
from barito_common.notifications.pagerduty import pagerduty_body
from barito_testing.alert_channels import sample_notification


def _size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str).encode())


def test_a_small_event_is_kept_whole() -> None:
    event = {"@timestamp": "2026-12-05T16:00:00Z", "level": "error", "message": "boom"}
    assert bounded_sample(event) is event


def test_long_texts_are_cut_saying_how_much_and_many_fields_leave_the_essentials() -> None:
    long = bounded_sample({"level": "error", "message": "é" * 50_000, "n": 1})
    assert long["message"] == "é" * 1000 + "… [49000 characters cut]"
    assert (long["level"], long["n"]) == ("error", 1)

    wide = {f"field{i}": "x" * 900 for i in range(200)}
    cut = bounded_sample({**wide, "level": "warn", "message": "slow", "@timestamp": "t"})
    assert cut["level"] == "warn" and cut["message"] == "slow" and "_cut" in cut
    nested = bounded_sample({"message": {"deep": [{"x": "y" * 9000}] * 30}})
    for sample in (long, cut, nested):
        assert _size(sample) <= MAX_SAMPLE_BYTES


def test_five_huge_samples_make_a_pagerduty_body_under_its_512_kb_limit() -> None:
    samples = [bounded_sample({"message": "z" * 1_000_000, "n": n}) for n in range(5)]
    body = pagerduty_body(sample_notification(samples=samples), "R0UT1NGKEY")
    assert _size(body) < 512 * 1024
