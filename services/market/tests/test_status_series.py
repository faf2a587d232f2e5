"""The status page's usage numbers from per-minute roll-ups (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from barito_market.usage.series import MinuteCounts, summarize, window_start

NOW = datetime(2025, 1, 31, 10, 30, 20, tzinfo=UTC)
CURRENT = datetime(2025, 1, 31, 10, 30, tzinfo=UTC)


def minute(ago: int, **counts: object) -> MinuteCounts:
    return MinuteCounts(minute=CURRENT - timedelta(minutes=ago), **counts)  # type: ignore[arg-type]


def test_events_per_second_now_is_the_last_complete_minute_over_sixty() -> None:
    rows = [minute(0, received_events=6000), minute(1, received_events=120, indexed_events=60)]

    summary = summarize(rows, now=NOW)

    assert summary.events_per_second == 2.0
    assert summary.indexed_per_second == 1.0


def test_the_hour_series_has_sixty_minutes_ending_with_the_one_in_progress() -> None:
    rows = [
        minute(0, received_events=5),
        minute(59, received_events=7),
        minute(60, received_events=9),
    ]

    hour = summarize(rows, now=NOW).last_hour

    assert len(hour) == 60
    assert hour[-1].start == CURRENT
    assert hour[-1].received_events == 5
    assert hour[0].start == CURRENT - timedelta(minutes=59)
    assert hour[0].received_events == 7
    assert sum(point.received_events for point in hour) == 12


def test_the_day_series_has_quarter_hours_and_each_minute_lands_in_its_quarter() -> None:
    rows = [
        minute(0, received_events=1),  # 10:30
        minute(16, received_events=2),  # 10:14
        minute(29, indexed_events=3),  # 10:01
        minute(31, received_events=4),  # 09:59
    ]

    day = summarize(rows, now=NOW).last_day

    assert len(day) == 96
    assert day[0].start == window_start(NOW)
    assert [(p.start.strftime("%H:%M"), p.received_events, p.indexed_events) for p in day[-4:]] == [
        ("09:45", 4, 0),
        ("10:00", 2, 3),
        ("10:15", 0, 0),
        ("10:30", 1, 0),
    ]


def test_rejections_and_dead_letters_are_summed_over_the_last_day_only() -> None:
    rows = [
        minute(0, rejected={"rate_limited": 2}, dead_lettered=1),
        minute(600, rejected={"rate_limited": 3, "bad_event": 1}, dead_lettered=2),
        minute(24 * 60, rejected={"rate_limited": 100}, dead_lettered=100),
    ]

    summary = summarize(rows, now=NOW)

    assert summary.rejected == {"rate_limited": 5, "bad_event": 1}
    assert summary.dead_lettered == 3


def test_no_usage_gives_zeroes_not_gaps() -> None:
    summary = summarize([], now=NOW)

    assert summary.events_per_second == 0
    assert summary.rejected == {}
    assert {point.received_events for point in summary.last_hour + summary.last_day} == {0}


def test_a_minute_from_a_clock_ahead_of_ours_is_not_shown() -> None:
    summary = summarize([minute(-5, received_events=50)], now=NOW)
    assert summary.received_events == 0
