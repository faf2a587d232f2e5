"""RFC 3164 (BSD syslog) as senders really write it: ``<PRI>TIMESTAMP HOSTNAME TAG[PID]: MSG``.

    >>> from datetime import UTC, datetime, timedelta
    >>> m = parse_rfc3164("<34>Oct 11 22:14:15 mymachine su: 'su root' failed on /dev/pts/8",
    ...                   received_at=datetime(2024, 1, 5, tzinfo=UTC))
    >>> m.time, m.facility, m.severity, m.hostname, m.app_name
    ('2023-10-11T22:14:15.000Z', 'auth', 'crit', 'mymachine', 'su')
    >>> m.message
    "'su root' failed on /dev/pts/8"

Parsed leniently, as rsyslog does:

* TIMESTAMP is ``Mmm dd hh:mm:ss`` (day space-padded or not), or RFC 3339
  (rsyslog's ``RSYSLOG_ForwardFormat``); missing or unreadable, the message is
  dated when it was received and the text is kept in MSG.
* The BSD time has no year and no zone. It is read as UTC (the receiver
  cannot know the sender's zone; rsyslog on a UTC host writes UTC), in the
  latest year that puts it at most a month after it was received: a
  December message received in January is dated in the year before, a
  January one received on December 31st in the next.
  Senders that need exact times use RFC 5424 or ``RSYSLOG_ForwardFormat``.
* HOSTNAME is absent when local senders leave it out: the word after the
  time is the TAG when it ends in ``:`` or holds ``[``.
* TAG is the word ending in ``[PID]:`` or ``:`` (or in ``[PID]`` alone, as
  rsyslog writes the tag of a message it received in RFC 5424); one space
  after it is the separator, not part of MSG. Without a TAG the rest is all MSG.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from barito_common.chunk_codec import format_event_time
from barito_receiver.event_time import parse_time
from barito_receiver.syslog.message import SyslogMessage, parse_pri

__all__ = ["parse_rfc3164", "split_tag"]

_AHEAD = timedelta(days=31)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}


def parse_rfc3164(text: str, *, received_at: datetime) -> SyslogMessage:
    pri, at = parse_pri(text)
    time, at = _timestamp(text, at, received_at)
    hostname: str | None = None
    word_end = _word_end(text, at)
    word = text[at:word_end]
    if word and word_end < len(text) and not word.endswith(":") and "[" not in word:
        hostname, at = word, word_end + 1
    app_name, procid, at = _tag(text, at)
    return SyslogMessage(
        pri=pri,
        time=time or format_event_time(received_at),
        hostname=hostname,
        app_name=app_name,
        procid=procid,
        message=text[at:],
    )


def _word_end(text: str, at: int) -> int:
    end = text.find(" ", at)
    return len(text) if end < 0 else end


def _timestamp(text: str, at: int, received_at: datetime) -> tuple[str | None, int]:
    """The time at ``text[at:]`` and the index after it and its space; (None, at) if none."""
    if text[at : at + 3] in _MONTHS:
        # "Oct 11 22:14:15", "Oct  1 22:14:15" or "Oct 1 22:14:15"
        rest = text[at + 4 :]
        day_text, _, rest = rest.lstrip(" ").partition(" ")
        clock = rest[:8]
        if day_text.isdigit() and len(clock) == 8 and clock[2] == ":" and clock[5] == ":":
            moment = _bsd_time(_MONTHS[text[at : at + 3]], int(day_text), clock, received_at)
            if moment is not None:
                end = text.index(clock, at + 4) + 8
                return format_event_time(moment), end + (text.startswith(" ", end))
        return None, at
    end = _word_end(text, at)
    candidate = text[at:end]
    if len(candidate) >= 19 and candidate[4:5] == "-" and candidate[10:11] == "T":
        parsed = parse_time(candidate)
        if parsed is not None:
            return parsed, min(end + 1, len(text))
    return None, at


def _bsd_time(month: int, day: int, clock: str, received_at: datetime) -> datetime | None:
    try:
        hour, minute, second = (int(part) for part in clock.split(":"))
    except ValueError:
        return None
    # The latest year that does not put it more than a month ahead of its
    # receipt (senders' clocks drift, and queues deliver late, not early).
    for year in (received_at.year + 1, received_at.year, received_at.year - 1):
        try:
            moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:  # Feb 29 outside a leap year, day 31 of a short month, 24:00
            continue
        if moment - received_at <= _AHEAD:
            return moment
    return None


def _tag(text: str, at: int) -> tuple[str | None, str | None, int]:
    """TAG and PID at ``text[at:]``, and where MSG starts; (None, None, at) without a tag."""
    end = _word_end(text, at)
    word = text[at:end]
    # "name[pid]" without the colon is how rsyslog writes the tag of a
    # message it received in RFC 5424.
    if not (word.endswith(":") or (word.endswith("]") and "[" in word[1:])):
        return None, None, at
    tag, procid = split_tag(word.removesuffix(":"))
    if not tag:
        return None, None, at
    msg_start = end
    if text.startswith(" ", msg_start):
        msg_start += 1
    return tag, procid, msg_start


def split_tag(tag: str) -> tuple[str, str | None]:
    """``name[pid]`` as (name, pid); any other tag as (tag, None)."""
    if tag.endswith("]") and "[" in tag:
        name, _, pid = tag[:-1].partition("[")
        return name, pid or None
    return tag, None
