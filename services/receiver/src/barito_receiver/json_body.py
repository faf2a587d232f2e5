"""The JSON family of bodies: application/json and the newline-delimited kinds.

The functions return the values the body holds; :mod:`barito_receiver.body_formats`
checks that each is an object and dates it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from barito_receiver.decode_errors import InvalidEvent, MalformedBody, excerpt

__all__ = ["json_kind", "parse_json_body", "parse_json_sequence"]

_BLANK_TEXT = re.compile(r"[ \t\r\n]*")
_loads = orjson.loads


def parse_json_body(body: bytes) -> list[Any]:
    """application/json: one value for the whole body, else a sequence of objects."""
    try:
        value = _loads(body)
    except orjson.JSONDecodeError:
        return parse_json_sequence(body)
    if type(value) is list:
        return value
    if type(value) is dict:
        items = value.get("items")
        if len(value) == 1 and type(items) is list:
            return items
        return [value]
    raise InvalidEvent(0, f"is not a JSON object (got {json_kind(value)})")


def parse_json_sequence(body: bytes) -> list[Any]:
    """JSON values one after another, as lines or back to back."""
    # Fast paths first; the general decoder below is slower but finds any
    # boundary and names any error.
    # Fastest: every line an event and the last one ended, as agents send
    # NDJSON. The newlines become the commas of one JSON array, closed by a
    # null where the text after the last newline is, and read by a single
    # orjson call, with one copy of the body. Accepted only when it yields
    # exactly one value per line and the null; a blank line fails to parse,
    # so it, like any other doubt, goes to the paths below.
    if body.endswith(b"\n"):
        try:
            whole = _loads(b"".join((b"[", body.replace(b"\n", b","), b"null]")))
        except orjson.JSONDecodeError:
            pass
        else:
            if len(whole) == body.count(b"\n") + 1 and whole[-1] is None:
                whole.pop()
                return whole  # type: ignore[no-any-return]
    lines = body.split(b"\n")
    present = [line for line in lines if line and not line.isspace()]
    # Then the lines that are not blank, joined likewise. Accepted only when
    # it yields exactly one value per line; otherwise a line held a top-level
    # comma or an unclosed bracket, and the per-line paths below decide (and
    # name the bad event).
    try:
        joined = _loads(b"[" + b",".join(present) + b"]")
    except orjson.JSONDecodeError:
        pass
    else:
        if len(joined) == len(present):
            return joined  # type: ignore[no-any-return]
    try:
        return [_loads(line) for line in present]
    except orjson.JSONDecodeError:
        pass
    if b"}{" in body:
        records = _split_back_to_back(body)
        if records is not None:
            return records
    # Keep the lines that parse on their own and scan only from the first one
    # that does not, so a bad last line does not cost a slow pass over it all.
    records = []
    offset = 0
    for line in lines:
        if line and not line.isspace():
            try:
                records.append(_loads(line))
            except orjson.JSONDecodeError:
                break
        offset += len(line) + 1
    return _json_stream(body, offset, records)


def _split_back_to_back(body: bytes) -> list[Any] | None:
    """Objects glued with no separator (Fluent Bit json_stream): cut at each ``}{``.

    A cut inside a string leaves the piece before it with an unterminated
    string, so if every piece parses, every cut was between two objects.
    """
    parts = body.split(b"}{")
    last = len(parts) - 1
    try:
        return [
            _loads((b"{" if index else b"") + part + (b"}" if index < last else b""))
            for index, part in enumerate(parts)
        ]
    except orjson.JSONDecodeError:
        return None


def _json_stream(body: bytes, offset: int, records: list[Any]) -> list[Any]:
    """The general case: find each value with the stdlib scanner, read it with orjson.

    Scanning starts at byte ``offset``, after ``records`` already read. orjson
    reads each value so that every path accepts exactly the same JSON (no NaN,
    no lone surrogates, big integers as floats).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedBody(f"body is not valid UTF-8 at byte {err.start}") from err
    scan = _SCANNER.raw_decode
    end = len(text)
    # The bytes before offset are whole lines orjson read, hence valid UTF-8.
    position = len(body[:offset].decode("utf-8")) if offset else 0
    position = _BLANK_TEXT.match(text, position).end()  # type: ignore[union-attr]
    while position < end:
        start = position
        try:
            _, position = scan(text, start)
            records.append(_loads(text[start:position]))
        except json.JSONDecodeError as err:
            # orjson's positions are relative to the value, the scanner's to the body.
            where = err.pos if err.doc is text else start + err.pos
            raise _json_error(text, start, where, err.msg, len(records)) from err
        except RecursionError as err:
            raise _json_error(text, start, start, "nested too deeply", len(records)) from err
        position = _BLANK_TEXT.match(text, position).end()  # type: ignore[union-attr]
    return records


# Finds where each value ends. It accepts NaN and Infinity, which orjson then
# refuses with their exact position.
_SCANNER = json.JSONDecoder()


def _json_error(text: str, start: int, where: int, problem: str, index: int) -> MalformedBody:
    byte = len(text[:where].encode("utf-8", "surrogatepass"))
    line = text.count("\n", 0, where) + 1
    event = f", event {index}" if text.startswith("{", start) else ""
    rest = text[where : where + 40]
    near = f", near {excerpt(rest, 40)}" if rest else ", where the body ends"
    return MalformedBody(
        f"body is not valid JSON at byte {byte} (line {line}{event}): {problem}{near}"
    )


def json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(
        type(value), type(value).__name__
    )
