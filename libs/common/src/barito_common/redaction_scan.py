"""Scanning records' strings for the pattern and detector rules of one redactor.

Searching each string alone costs a call into RE2 per string, about half a
microsecond before the first byte is read; most strings hold nothing. So
the strings of a whole batch of records are joined by newlines and searched
at once with one RE2 program that is every rule's pattern in alternation
(with ``never_capture``). A search that finds a match marks the string it
starts in and goes on at the next string, so a match spanning strings (only
possible across the joins) can never hide a real one; only the records of
marked strings are then walked again, and each marked string masked rule by
rule. Joining is exact for patterns without ``^``, ``$``, ``\\A`` or
``\\z``: a newline is not a word character, so ``\\b`` reads the same at a
join as at a string's edge. With such a pattern every string is searched
alone (an RE2 ``Set``, which answers for every rule in one pass).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import re2

from barito_common.event_filters import regex_options
from barito_common.redaction_detectors import is_aws_secret, luhn_valid

__all__ = ["Scanner", "StringScan"]

Scanner = tuple[Any, Callable[[Any], bytes]]  # a compiled re2 pattern (no stubs) and its masker
_ANCHORS = ("^", "$", "\\A", "\\z")
_MAX_MEM = 64 * 1024 * 1024
_AWS_SECRET_KEY = "aws_secret_access_key"
_ONE = 1


class StringScan:
    """Masks what the scanners match in every string of records, at any depth."""

    def __init__(
        self,
        scanners: list[Scanner],
        user_patterns: Sequence[str],
        *,
        card_mask: str | None,
        aws_secret_mask: str | None,
    ) -> None:
        self.scanners = scanners
        patterns = [regex.pattern for regex, _ in scanners]
        self.prefilter = _search_set(patterns)
        joinable = not any(anchor in p for p in user_patterns for anchor in _ANCHORS)
        self.finder = _alternation(patterns) if joinable else None
        # Cards sent as JSON numbers, and the secret under its own key, are
        # found by the walk itself: no string holds them.
        self.card_mask = card_mask
        self.aws_secret_mask = aws_secret_mask

    def clear_in(self, source: bytes) -> bool:
        """Whether nothing decoded from the JSON text ``source`` can need masking.

        A request's JSON body holds every string of its records verbatim when
        it has no escape (no backslash at all): then a pattern without
        anchors that matches a decoded string matches the body at the same
        bytes, and ``\\b`` reads alike, a string's quotes being no word
        characters. Searching the body once is then a sufficient test, and
        saves the walk that gathers the strings for most requests, which hold
        nothing to mask. Cards sent as JSON numbers are digits in the body, and
        the AWS secret under its own key reads ``"aws_secret_access_key":"…"``
        there, both found by the same search.
        """
        if self.finder is None or b"\\" in source:
            return False
        return self.finder.search(source) is None

    def records(self, records: Sequence[dict[str, Any]]) -> None:
        """Mask in place what the scanners find in ``records``."""
        texts: list[str] = []
        firsts: list[int] = []  # where each record's strings start in texts
        for record in records:
            firsts.append(len(texts))
            self._gather(record, texts)
        if not texts:
            return
        if self.finder is None:
            for record in records:
                self._mask_strings(record, 0, None)
            return
        marked = _marked(self.finder, texts)
        for index in sorted({bisect.bisect_right(firsts, n) - 1 for n in marked}):
            self._mask_strings(records[index], firsts[index], marked)

    def _gather(self, record: dict[str, Any], texts: list[str]) -> None:
        # Every string value, in the order _mask_strings walks them; a value
        # masked here becomes a string too, so it is listed as well.
        card_mask, aws_mask = self.card_mask, self.aws_secret_mask
        stack: list[Any] = [record]
        while stack:
            node = stack.pop()
            items = node.items() if type(node) is dict else enumerate(node)
            for key, value in items:
                kind = type(value)
                if kind is str:
                    if aws_mask is not None and key == _AWS_SECRET_KEY and is_aws_secret(value):
                        node[key] = value = aws_mask
                    texts.append(value)
                elif kind is dict or kind is list:
                    stack.append(value)
                elif card_mask is not None and kind is int and _is_card_number(value):
                    node[key] = card_mask
                    texts.append(card_mask)

    def _mask_strings(self, record: dict[str, Any], first: int, only: set[int] | None) -> None:
        """Mask the strings of ``record`` (numbered from ``first``) that are in ``only``."""
        number = first
        stack: list[Any] = [record]
        while stack:
            node = stack.pop()
            items = node.items() if type(node) is dict else enumerate(node)
            for key, value in items:
                kind = type(value)
                if kind is str:
                    if only is None or number in only:
                        masked = self.text(value)
                        if masked is not value:
                            node[key] = masked
                    number += 1
                elif kind is dict or kind is list:
                    stack.append(value)

    def text(self, text: str) -> str:
        """``text`` with every rule's matches masked, in rule order (``text`` itself if none)."""
        data = text.encode()
        hits = self._hits(data)
        if not hits:
            return text
        while hits:
            index = hits.pop(0)
            regex, replace = self.scanners[index]
            masked = regex.sub(replace, data)
            if masked != data:
                # A mask is new text: which later rules match may have changed.
                data = masked
                hits = self._hits(data, after=index)
        return data.decode()

    def _hits(self, data: bytes, after: int = -1) -> list[int]:
        """The scanners that match ``data``, in rule order, from ``after + 1`` on."""
        if self.prefilter is None:
            return list(range(after + 1, len(self.scanners)))
        return sorted(i for i in self.prefilter.Match(data) or () if i > after)


def _marked(finder: Any, texts: list[str]) -> set[int]:
    """The indices of the strings in which a match starts (and maybe a few more)."""
    joined = "\n".join(texts)
    data = joined.encode()
    if len(data) == len(joined):  # ASCII: byte offsets are character offsets
        sizes: Iterable[int] = map(len, texts)
    else:
        sizes = [len(text.encode()) for text in texts]
    # nexts[i]: where string i + 1 starts (each string is followed by "\n").
    nexts = list(itertools.accumulate(map(_ONE.__add__, sizes)))
    marked: set[int] = set()
    position = 0
    while position < len(data):
        found = finder.search(data, position)
        if found is None:
            break
        index = bisect.bisect_right(nexts, found.start())
        marked.add(index)
        position = nexts[index]
    return marked


def _search_set(patterns: list[bytes]) -> Any:
    """One RE2 Set of every pattern, or None if RE2 cannot build it within its
    memory bound (each string is then scanned rule by rule)."""
    options = regex_options()
    options.max_mem = _MAX_MEM
    found = re2.Set.SearchSet(options)
    try:
        for pattern in patterns:
            found.Add(pattern)
        found.Compile()
    except re2.error:
        return None
    return found


def _alternation(patterns: list[bytes]) -> Any:
    """Every pattern in one RE2 program, or None if it is over the memory bound."""
    options = regex_options()
    options.max_mem = _MAX_MEM
    options.never_capture = True
    try:
        return re2.compile(b"|".join(b"(?:" + p + b")" for p in patterns), options)
    except re2.error:
        return None


def _is_card_number(value: int) -> bool:
    return 10**12 <= value < 10**19 and luhn_valid(str(value).encode())
