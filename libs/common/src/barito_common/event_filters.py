"""Which events pass a filter, parsed and checked up front.

One language for the live tail's filters and alert rules' matches. A tail's
filters are parsed before streaming starts, so a bad one is a 400 naming the
problem, never a stream that silently shows nothing; a rule's match is
parsed when the rule is saved (422). All given filters must match (AND):

* ``q`` — a substring of the event's JSON line (exactly what ``--json`` prints);
* ``regex`` — a regular expression searched in the same line;
* ``level`` — the event's ``level`` (or ``severity``) field, case-insensitive,
  one of a comma-separated list;
* ``field`` — ``name=value``, repeatable; a dotted name reaches into nested
  objects (``http.status=500``); the value is compared as text.

Regular expressions are compiled with RE2 (google-re2), not Python's ``re``:
RE2 matches in time linear in the input whatever the pattern, so a
catastrophic pattern like ``(a+)+$`` cannot pin the server's one event loop,
which a per-match timeout could only cut short after the damage. The price is
that back-references and look-arounds are refused, with a clear 400. RE2's
``max_mem`` bounds the compiled program, so a huge pattern cannot exhaust
memory either, and a filter's program is capped at ``MAX_REGEX_PROGRAM``
instructions, so it cannot cost too much per event (see there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re2

__all__ = [
    "MAX_REGEX_PROGRAM",
    "BadFilter",
    "EventFilter",
    "compile_regex",
    "parse_filter",
    "regex_options",
]

_REGEX_MAX_MEM = 8 * 1024 * 1024
# RE2 is linear in the input, but the constant is the compiled program's size:
# once the DFA's cache overflows it falls back to simulating every
# instruction for every byte. `(\w+\s?){1000}x` (10,005 instructions) took
# ~260 ms per 4 KB event on the server's one event loop; at 1,000 the worst
# found is ~0.3 ms, and everyday patterns are well under 100. One limit for
# the tail and alert rules: both run on every event of an app in the server.
MAX_REGEX_PROGRAM = 1000
_LEVEL_FIELDS = ("level", "severity")


class BadFilter(ValueError):
    """A filter that cannot be applied; the message says which and why."""


def _as_text(value: Any) -> str:
    if isinstance(value, bool):  # JSON spelling, as the user sees it in the event
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


_MISSING = object()


def _lookup(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    # A literal dotted key ("http.status" as one key) wins over nesting.
    joined = ".".join(path)
    if joined in record:
        return record[joined]
    value: Any = record
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


@dataclass(frozen=True)
class EventFilter:
    substring: bytes | None = None
    regex: Any = None  # a compiled re2 pattern; re2 ships no type stubs
    levels: frozenset[str] = frozenset()
    fields: tuple[tuple[tuple[str, ...], str], ...] = ()

    @property
    def passes_all(self) -> bool:
        return self.substring is None and self.regex is None and not self.levels and not self.fields

    def matches(self, record: dict[str, Any], line: bytes) -> bool:
        """Whether the event (its record, and its JSON ``line``) passes every filter."""
        if self.substring is not None and self.substring not in line:
            return False
        if self.levels:
            level = next((record[f] for f in _LEVEL_FIELDS if f in record), None)
            if not isinstance(level, str) or level.lower() not in self.levels:
                return False
        for path, wanted in self.fields:
            value = _lookup(record, path)
            if value is _MISSING or _as_text(value) != wanted:
                return False
        return self.regex is None or self.regex.search(line) is not None


def regex_options() -> Any:
    """RE2 options of every user-given pattern: bounded memory, errors raised, not logged."""
    options = re2.Options()
    options.max_mem = _REGEX_MAX_MEM
    options.log_errors = False
    return options


def compile_regex(pattern: str, max_length: int) -> Any:
    """``pattern`` compiled by RE2 to match bytes; :class:`BadFilter` saying why it cannot be."""
    if len(pattern) > max_length:
        raise BadFilter(f"regex is {len(pattern)} characters, over the limit of {max_length}")
    try:
        return re2.compile(pattern.encode(), regex_options())
    except re2.error as err:
        reason = err.args[0] if err.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        raise BadFilter(
            f"regex {pattern!r} is not valid RE2 syntax ({reason}); back-references and "
            "look-arounds are not supported"
        ) from err


def parse_filter(
    *,
    q: str | None = None,
    regex: str | None = None,
    level: str | None = None,
    fields: Sequence[str] = (),
    max_length: int = 1000,
) -> EventFilter:
    """Build the filter of one tail (or rule); :class:`BadFilter` on any invalid or too
    costly part."""
    substring = None
    if q is not None:
        if not q:
            raise BadFilter("q (substring) is empty; leave it out to see every event")
        if len(q) > max_length:
            raise BadFilter(f"q is {len(q)} characters, over the limit of {max_length}")
        substring = q.encode()
    compiled = None if regex is None else compile_regex(regex, max_length)
    if compiled is not None and compiled.programsize > MAX_REGEX_PROGRAM:
        raise BadFilter(
            f"regex {regex!r} is too costly to run on every event (its RE2 program has "
            f"{compiled.programsize} instructions, over the limit of {MAX_REGEX_PROGRAM}); "
            "use fewer or smaller repetitions such as {n}"
        )
    levels: frozenset[str] = frozenset()
    if level is not None:
        levels = frozenset(part.strip().lower() for part in level.split(",") if part.strip())
        if not levels:
            raise BadFilter("level is empty; give one or more levels, e.g. level=warn,error")
    parsed: list[tuple[tuple[str, ...], str]] = []
    for pair in fields:
        name, sep, value = pair.partition("=")
        path = tuple(name.split("."))
        if not sep or not name or not all(path):
            raise BadFilter(f"field filter {pair!r} is not name=value (e.g. field=service=api)")
        parsed.append((path, value))
    return EventFilter(substring, compiled, levels, tuple(parsed))
