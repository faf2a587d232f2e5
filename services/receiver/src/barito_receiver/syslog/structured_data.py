"""RFC 5424 STRUCTURED-DATA: ``-``, or ``[SD-ID name="value" ...]`` elements back to back.

    >>> parse_structured_data('[origin ip="10.0.0.1"][x@32473 a="\\\\]" a="b"] hi', 0)
    ({'origin': {'ip': '10.0.0.1'}, 'x@32473': {'a': [']', 'b']}}, 44)

Inside a value, ``\\"``, ``\\\\`` and ``\\]`` stand for the character after the
backslash; a backslash before any other character is kept, as RFC 5424 says.

Leniency, for what senders really write: spaces before ``]`` (common in
hand-written rsyslog templates), a repeated SD-ID (its parameters merged),
and a ``-`` right after the elements, which an rsyslog template
``[barito@32473 secret="..."]%STRUCTURED-DATA%`` produces when the original
message had none.
"""

from __future__ import annotations

from barito_receiver.syslog.message import MalformedSyslog, StructuredData

__all__ = ["parse_structured_data"]

_NAME_END = frozenset(' ="]')


def parse_structured_data(text: str, start: int) -> tuple[StructuredData, int]:
    """The structured data at ``text[start:]`` and the index just after it."""
    if text.startswith("-", start):
        return {}, start + 1
    if not text.startswith("[", start):
        raise MalformedSyslog("STRUCTURED-DATA is neither '-' nor '[' elements")
    data: StructuredData = {}
    at = start
    while text.startswith("[", at):
        at = _element(text, at + 1, data)
    if text.startswith("-", at) and (at + 1 == len(text) or text[at + 1] == " "):
        at += 1
    return data, at


def _element(text: str, at: int, data: StructuredData) -> int:
    """Parse one element after its ``[`` into ``data``; return the index after its ``]``."""
    sd_id, at = _name(text, at, "SD-ID")
    params = data.setdefault(sd_id, {})
    while True:
        spaced = at
        while text.startswith(" ", at):
            at += 1
        if text.startswith("]", at):
            return at + 1
        if at == spaced:
            raise MalformedSyslog(f"SD element '{sd_id}' has no space before a parameter")
        name, at = _name(text, at, "PARAM-NAME")
        if not text.startswith('="', at):
            raise MalformedSyslog(f"SD parameter '{name}' of '{sd_id}' has no =\"value\"")
        value, at = _value(text, at + 2, sd_id)
        previous = params.get(name)
        if previous is None:
            params[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            params[name] = [previous, value]


def _name(text: str, at: int, what: str) -> tuple[str, int]:
    end = at
    while end < len(text) and text[end] not in _NAME_END:
        end += 1
    name = text[at:end]
    if not name or len(name) > 32 or not name.isprintable():
        raise MalformedSyslog(f"{what} must be 1 to 32 printable characters")
    return name, end


def _value(text: str, at: int, sd_id: str) -> tuple[str, int]:
    """A quoted value's content, unescaped, from just after its opening quote."""
    parts: list[str] = []
    while True:
        quote = text.find('"', at)
        backslash = text.find("\\", at, quote if quote >= 0 else len(text))
        if quote < 0:
            raise MalformedSyslog(f"a value of SD element '{sd_id}' has no closing quote")
        if backslash < 0:
            parts.append(text[at:quote])
            return "".join(parts), quote + 1
        parts.append(text[at:backslash])
        escaped = text[backslash + 1 : backslash + 2]
        parts.append(escaped if escaped in ('"', "\\", "]") else "\\" + escaped)
        at = backslash + 2
