"""Usage windows: what one window counted, per app, and nothing counted twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from barito_common.usage_windows import UsageWindows

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_window_reports_each_app_once_with_its_own_counts() -> None:
    windows = UsageWindows("receiver", started=START)
    windows.add("a", events=3, size=300)
    windows.add("a", rejected="rate_limited", rejected_events=2)
    windows.add("a", rejected="rate_limited", rejected_events=1)
    windows.add("b", events=1, size=10)

    reports = {r.app_id: r for r in windows.take_reports(START + timedelta(seconds=10))}

    assert set(reports) == {"a", "b"}
    assert (reports["a"].events, reports["a"].bytes) == (3, 300)
    assert reports["a"].rejected == {"rate_limited": 3}
    assert reports["b"].rejected == {}
    assert reports["a"].window_start == START
    assert reports["a"].report_id != reports["b"].report_id


def test_the_next_window_starts_where_the_last_ended_and_is_empty_until_counted() -> None:
    windows = UsageWindows("flow", started=START)
    windows.add("a", events=5, size=50, dead_lettered=1)
    first_end = START + timedelta(seconds=10)
    [first] = windows.take_reports(first_end)
    assert (first.events, first.dead_lettered, first.source) == (5, 1, "flow")

    assert windows.take_reports(first_end + timedelta(seconds=10)) == []
    windows.add("a", events=1)
    [second] = windows.take_reports(first_end + timedelta(seconds=20))
    assert second.window_start == first_end + timedelta(seconds=10)
    assert second.events == 1
