"""An event's timestamp, normalised to the chunk codec's form: ``2023-11-14T22:13:20.500Z``.

    >>> from datetime import UTC, datetime
    >>> received = datetime(2024, 1, 1, tzinfo=UTC)
    >>> normalise_time(1700000000.5, received_at=received)
    '2023-11-14T22:13:20.500Z'
    >>> normalise_time("2023-11-14 22:13:20.500000", received_at=received)
    '2023-11-14T22:13:20.500Z'
    >>> event_time({"log": "a"}, received_at=received)
    '2024-01-01T00:00:00.000Z'

Accepted values: ISO-8601 strings (``Z`` or an offset; without one the time is
UTC), epoch numbers (seconds, or milliseconds, microseconds or nanoseconds told
apart by magnitude), numeric strings read the same way, Fluentd's
:class:`EventTime` and :class:`~datetime.datetime`. Anything else, booleans
included, is not a time: the event is dated when it was received and keeps its
original field.

This runs once per event at 150k events/s: every common form takes one C-level
parse and a little string slicing, without regular expressions, and
:func:`record_times` dates a whole body's records with C-level passes,
parsing each distinct value once.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple

from barito_common.chunk_codec import format_event_time

__all__ = [
    "TIME_KEYS",
    "EventTime",
    "event_time",
    "normalise_time",
    "parse_time",
    "record_time",
    "record_times",
]

TIME_KEYS = ("@timestamp", "time", "timestamp", "date")
"""Record fields that hold the event's time, in order of preference."""

# Epoch magnitudes: past 1e11 seconds is year 5138, so a bigger number is in a
# finer unit. The boundaries are 1e11 ms (1973), 1e14 us and 1e17 ns.
_MILLIS_ABOVE = 1e11
_MICROS_ABOVE = 1e14
_NANOS_ABOVE = 1e17

_fromisoformat = datetime.fromisoformat
_fromtimestamp = datetime.fromtimestamp
_unpack_event_time = struct.Struct(">II").unpack
_tuple_new = tuple.__new__
# ".000Z" to ".999Z": concatenating one is twice as fast as formatting it.
_MILLIS = tuple(f".{millis:03d}Z" for millis in range(1000))
_SHAPE = b"0000-00-00T00:00:00.000Z"
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_second_of = itemgetter(slice(0, 19))
_dict_get = dict.get
# The value types whose equal values are always the same time. Mixing two of
# them would not be: True == 1, and an int of nanoseconds equal to a float
# reads differently through the float's rounding.
_SHAREABLE = frozenset({str, int, float})


class EventTime(NamedTuple):
    """Fluentd's EventTime (msgpack ext type 0): seconds and nanoseconds since the epoch."""

    seconds: int
    nanoseconds: int

    @classmethod
    def from_ext(cls, data: bytes) -> EventTime:
        """Read the ext payload: two big-endian uint32, seconds then nanoseconds."""
        # Called once per Fluent Bit event: build the tuple without the
        # NamedTuple constructor's Python-level __new__.
        return _tuple_new(cls, _unpack_event_time(data))


def normalise_time(value: Any, *, received_at: datetime) -> str:
    """``value`` as an event time, or ``received_at`` when it is not a time."""
    return parse_time(value) or format_event_time(received_at)


def event_time(record: dict[str, Any], *, received_at: datetime) -> str:
    """The time of ``record`` from its first time field (see :data:`TIME_KEYS`)."""
    return record_time(record) or format_event_time(received_at)


def record_time(record: dict[str, Any]) -> str | None:
    """The time held by the first of :data:`TIME_KEYS` present in ``record``, if valid.

    Only the first present field counts: if ``@timestamp`` holds garbage, the
    event is not dated from ``time`` instead. A null field counts as absent.
    """
    for key in TIME_KEYS:
        value = record.get(key)
        if value is not None:
            return parse_time(value)
    return None


def record_times(records: list[dict[str, Any]], fallback: str) -> list[str]:
    """:func:`record_time` of each record, ``fallback`` where it has none.

    The events of one request mostly share a handful of seconds, and an
    agent sends every record with the same time field in the same form. So
    the time values are gathered with C-level passes, a body whose times are
    all already canonical (``2023-11-14T22:13:20.500Z``) keeps them as they
    are, and otherwise each distinct value is parsed once.
    """
    values = _time_values(records)
    kinds = set(map(type, values))
    if kinds == {str} and _all_canonical(values):
        return values
    kinds.discard(type(None))
    if len(kinds) > 1 or not kinds <= _SHAREABLE:
        return [parse_time(value) or fallback for value in values]
    times = {value: parse_time(value) or fallback for value in dict.fromkeys(values)}
    return list(map(times.__getitem__, values))


def _time_values(records: list[dict[str, Any]]) -> list[Any]:
    """The value of the first of :data:`TIME_KEYS` each record holds (not null), else None."""
    values = list(map(_dict_get, records, repeat(TIME_KEYS[0])))
    for key in TIME_KEYS[1:]:
        missing = values.count(None)
        if not missing:
            break
        if missing == len(values):
            values = list(map(_dict_get, records, repeat(key)))
        else:
            values = [
                value if value is not None else record.get(key)
                for value, record in zip(values, records, strict=True)
            ]
    return values


def _all_canonical(texts: list[str]) -> bool:
    """Whether every text is a chunk time already: ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    # The shape of all of them at once, with C-level passes: their digits
    # made zeros, the texts joined by newlines are the shape's n copies
    # joined by newlines only if no text holds a newline and each has the shape.
    try:
        joined = "\n".join(texts).encode("ascii")
    except UnicodeEncodeError:
        return False
    if joined.translate(_DIGITS_AS_ZERO) != b"\n".join(repeat(_SHAPE, len(texts))):
        return False
    for second in set(map(_second_of, texts)):
        try:
            moment = _fromisoformat(second)
        except ValueError:  # month 13, a leap second...
            return False
        # Only the exact canonical spelling: fromisoformat also reads week
        # dates and other forms that would have to be rewritten.
        if moment.isoformat() != second:
            return False
    return True


def parse_time(value: Any) -> str | None:
    """``value`` as an event time string, or None when it is not a time."""
    kind = type(value)
    if kind is str:
        return _parse_string(value)
    if kind is int or kind is float:
        return _from_epoch(value)
    if kind is EventTime:
        return _from_millis(value.seconds * 1000 + value.nanoseconds // 1_000_000)
    if isinstance(value, datetime):
        return _from_datetime(value)
    return None


def _parse_string(text: str) -> str | None:
    try:
        moment = _fromisoformat(text)
    except ValueError:
        return _parse_number_string(text)
    tz = moment.tzinfo
    # The common case: a UTC time written out in full ("2023-11-14T22:13:20.5Z",
    # "2023-11-14 22:13:20.500000"). fromisoformat has validated it, so its date
    # and time can be copied as text, which is several times faster than
    # formatting the datetime.
    if (
        (tz is None or tz is UTC)
        and len(text) >= 19
        and text[4] == "-"
        and text[13] == ":"
        and text[16] == ":"
    ):
        if text[10] == "T":
            return text[:19] + _MILLIS[moment.microsecond // 1000]
        return text[:10] + "T" + text[11:19] + _MILLIS[moment.microsecond // 1000]
    return _from_datetime(moment)


def _parse_number_string(text: str) -> str | None:
    # Only plain decimal numbers: float() would also take "nan", "1_000" or
    # "infinity", none of which is a time anyone meant.
    if not text.lstrip("-").replace(".", "", 1).isdecimal():
        return None
    try:
        return _from_epoch(float(text) if "." in text else int(text))
    except ValueError:  # "--1", "1-2": digits, but not a number
        return None


def _from_epoch(number: int | float) -> str | None:
    magnitude = abs(number)
    if magnitude != magnitude or magnitude == math.inf:
        return None
    if type(number) is int:
        if magnitude > _NANOS_ABOVE:
            return _from_millis(number // 1_000_000)
        if magnitude > _MICROS_ABOVE:
            return _from_millis(number // 1_000)
        if magnitude > _MILLIS_ABOVE:
            return _from_millis(number)
        return _from_millis(number * 1000)
    # Round to microseconds first, as datetime.fromtimestamp does, so that
    # 1700000000.123 (really ...122999) reads as .123, not .122.
    if magnitude > _NANOS_ABOVE:
        micros = round(number / 1000)
    elif magnitude > _MICROS_ABOVE:
        micros = round(number)
    elif magnitude > _MILLIS_ABOVE:
        micros = round(number * 1000)
    else:
        micros = round(number * 1_000_000)
    return _from_millis(micros // 1000)


# The last second formatted, and its text. Formatting a datetime costs a few
# microseconds, several times the rest of the work for an event, while the
# events of one request almost always share their second with the one before.
# One slot, replaced as a whole: a race between threads only formats twice.
_last_second: tuple[int, str] = (0, "1970-01-01T00:00:00")


def _from_millis(millis: int) -> str | None:
    global _last_second
    seconds, millis = divmod(millis, 1000)
    last, text = _last_second
    if seconds != last:
        try:
            text = _fromtimestamp(seconds, UTC).isoformat()[:19]
        except (OverflowError, OSError, ValueError):
            return None
        _last_second = (seconds, text)
    return text + _MILLIS[millis]


def _from_datetime(moment: datetime) -> str | None:
    if moment.tzinfo is not None and moment.tzinfo is not UTC:
        offset = moment.utcoffset()
        if offset is None:
            moment = moment.replace(tzinfo=None)
        elif offset:
            try:
                moment = moment.astimezone(UTC)
            except OverflowError:
                return None
    return moment.isoformat()[:19] + _MILLIS[moment.microsecond // 1000]
