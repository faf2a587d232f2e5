"""RFC 5424: ``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]``.

    >>> from datetime import UTC, datetime
    >>> m = parse_rfc5424(
    ...     '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 '
    ...     '[exampleSDID@32473 iut="3" eventSource="Application"] \\ufeffAn application event',
    ...     received_at=datetime(2024, 1, 1, tzinfo=UTC))
    >>> m.time, m.facility, m.severity, m.procid, m.message
    ('2003-10-11T22:14:15.003Z', 'local4', 'notice', None, 'An application event')

Every header field may be ``-`` (NILVALUE): the field is then absent, and a
missing TIMESTAMP dates the message when it was received. MSG keeps its
bytes as sent, but for the UTF-8 BOM that RFC 5424 puts before UTF-8 text
and one leading space, which rsyslog leaves there when it forwards a
message it received in the BSD format. A TIMESTAMP that is not RFC 3339
is refused with the message, as RFC 5424 asks of it; a sender that cannot
write one sends ``-``.
"""

from __future__ import annotations

from datetime import datetime

from barito_common.chunk_codec import format_event_time
from barito_receiver.event_time import parse_time
from barito_receiver.syslog.message import MalformedSyslog, SyslogMessage, parse_pri
from barito_receiver.syslog.structured_data import parse_structured_data

__all__ = ["is_rfc5424", "parse_rfc5424"]

_BOM = "\ufeff"
_HEADER_FIELDS = ("TIMESTAMP", "HOSTNAME", "APP-NAME", "PROCID", "MSGID")


def is_rfc5424(text: str, after_pri: int) -> bool:
    """Whether the message after ``<PRI>`` carries RFC 5424's VERSION ``1``."""
    return text.startswith("1 ", after_pri)


def parse_rfc5424(text: str, *, received_at: datetime) -> SyslogMessage:
    pri, at = parse_pri(text)
    if not is_rfc5424(text, at):
        raise MalformedSyslog("VERSION after <PRI> is not 1")
    at += 2
    fields: list[str | None] = []
    for name in _HEADER_FIELDS:
        end = text.find(" ", at)
        if end < 0:
            raise MalformedSyslog(f"the header ends at {name}, before STRUCTURED-DATA")
        value = text[at:end]
        if not value:
            raise MalformedSyslog(f"{name} is empty (two spaces); a missing field is '-'")
        fields.append(None if value == "-" else value)
        at = end + 1
    timestamp, hostname, app_name, procid, msgid = fields
    if timestamp is None:
        time = format_event_time(received_at)
    elif "T" in timestamp and (parsed := parse_time(timestamp)) is not None:
        time = parsed
    else:
        raise MalformedSyslog("TIMESTAMP is not RFC 3339 (e.g. 2024-05-01T12:00:00.123Z) or '-'")
    structured_data, at = parse_structured_data(text, at)
    message: str | None = None
    if at < len(text):
        if text[at] != " ":
            raise MalformedSyslog("no space between STRUCTURED-DATA and MSG")
        message = text[at + 1 :].removeprefix(_BOM)
        # rsyslog's %msg% of a message it received in the BSD format keeps the
        # space after the tag's colon: its RFC 5424 forward reads "- -  text".
        message = message.removeprefix(" ")
    return SyslogMessage(
        pri=pri,
        time=time,
        hostname=hostname,
        app_name=app_name,
        procid=procid,
        msgid=msgid,
        structured_data=structured_data,
        message=message,
    )
