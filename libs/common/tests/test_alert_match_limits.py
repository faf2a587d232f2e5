"""A rule's match runs on every event of its app: one that would cost too much is refused."""

from __future__ import annotations

import pytest

from barito_common.alerts import AlertMatch, match_filter
from barito_common.event_filters import BadFilter

# ~4 KB, the size of a chatty application log line.
LINE = b'{"message":"' + b"ab " * 1300 + b'","level":"error"}'


@pytest.mark.parametrize(
    "pattern",
    [
        # Linear in the line under RE2, yet ~260 ms for this line: RE2's DFA
        # gives up on a program this size and simulates every instruction.
        r"(\w+\s?){1000}x",
        r".{1000}.{1000}x",
    ],
)
def test_a_regex_too_costly_for_every_event_is_refused_naming_the_limit(pattern: str) -> None:
    with pytest.raises(BadFilter, match=r"too costly to run on every event .* limit of 1000"):
        match_filter(AlertMatch(regex=pattern))


def test_everyday_patterns_pass_and_still_match() -> None:
    for pattern in [r"status\":5\d\d", r"(?i)(timeout|refused)", r"(a+)+$", r"\w{100}"]:
        match_filter(AlertMatch(regex=pattern))
    assert match_filter(AlertMatch(regex=r"level\":\"error")).matches({}, LINE)


def test_too_many_or_too_long_field_filters_are_refused() -> None:
    with pytest.raises(BadFilter, match="21 field filters, over the limit of 20"):
        match_filter(AlertMatch(fields=[f"f{i}=v" for i in range(21)]))
    with pytest.raises(BadFilter, match="over the limit of 1000 characters"):
        match_filter(AlertMatch(fields=["service=" + "x" * 1000]))
    with pytest.raises(BadFilter, match="over the limit of 1000 characters"):
        match_filter(AlertMatch(level="error," * 200))
