"""Each filter kind lets exactly the matching events through; bad ones fail up front."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from barito_common.event_filters import BadFilter, parse_filter

EVENTS: list[dict[str, Any]] = [
    {"level": "INFO", "message": "GET /orders 200", "http": {"status": 200}, "svc": "api"},
    {"level": "error", "message": "timeout talking to db", "http": {"status": 500}, "svc": "api"},
    {"severity": "warn", "message": "slow query", "svc": "db", "ok": False},
    {"message": "no level here", "http.status": 500},
]


def passing(**options: Any) -> list[int]:
    event_filter = parse_filter(**options)
    return [i for i, e in enumerate(EVENTS) if event_filter.matches(e, orjson.dumps(e))]


def test_no_filter_passes_everything() -> None:
    assert parse_filter().passes_all
    assert passing() == [0, 1, 2, 3]


def test_substring_matches_the_json_line() -> None:
    assert passing(q="timeout") == [1]
    assert passing(q='"svc":"db"') == [2]


def test_regex_matches_the_json_line() -> None:
    assert passing(regex=r"GET /\w+ 2\d\d") == [0]
    assert passing(regex="(?i)SLOW") == [2]


def test_level_is_case_insensitive_and_takes_a_list() -> None:
    assert passing(level="info") == [0]
    assert passing(level="ERROR,warn") == [1, 2]


def test_field_equality_reaches_nested_and_dotted_keys() -> None:
    assert passing(fields=["http.status=500"]) == [1, 3]
    assert passing(fields=["svc=api", "http.status=200"]) == [0]
    assert passing(fields=["ok=false"]) == [2]


def test_filters_combine_with_and() -> None:
    assert passing(q="api", level="error") == [1]


def test_catastrophic_pattern_runs_in_linear_time() -> None:
    # With backtracking this takes longer than the age of the universe.
    event_filter = parse_filter(regex=r"(a+)+$")
    line = b"a" * 100_000 + b"!"
    assert not event_filter.matches({}, line)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"regex": "(unclosed"}, "not valid RE2"),
        ({"regex": r"(a)\1"}, "back-references"),
        ({"regex": "x" * 2000}, "over the limit"),
        ({"q": ""}, "empty"),
        ({"level": " , "}, "empty"),
        ({"fields": ["novalue"]}, "name=value"),
        ({"fields": ["=x"]}, "name=value"),
        ({"fields": ["a..b=x"]}, "name=value"),
    ],
)
def test_invalid_filters_are_refused_with_a_reason(options: dict[str, Any], message: str) -> None:
    with pytest.raises(BadFilter, match=message):
        parse_filter(**options)


@pytest.mark.parametrize("pattern", [r"(\w+\s?){1000}x", r".{1000}.{1000}x"])
def test_a_tail_regex_too_costly_for_every_event_is_refused_as_a_rules_is(pattern: str) -> None:
    # Linear under RE2, yet ~260 ms per 4 KB line: one tail connection with it
    # would pin the server's event loop for every reader of every app.
    with pytest.raises(BadFilter, match=r"too costly to run on every event .* limit of 1000"):
        parse_filter(regex=pattern)


def test_everyday_tail_regexes_stay_accepted() -> None:
    for pattern in [r"status\":5\d\d", r"(?i)(timeout|refused)", r"(a+)+$", r"\w{100}"]:
        parse_filter(regex=pattern)
