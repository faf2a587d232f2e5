"""One parsed syslog message, and the Barito event it becomes.

Both RFC 5424 and RFC 3164 parse into :class:`SyslogMessage`; its
:meth:`~SyslogMessage.record` is what the app's topic stores::

    {"message": "GET /health 200", "level": "info", "facility": "daemon",
     "severity": "info", "hostname": "web01", "app_name": "nginx", "procid": "812",
     "msgid": "ID47", "structured_data": {"origin": {"ip": "10.0.0.1"}}}

A field the message leaves out (RFC 5424's NILVALUE ``-``, or a 3164 message
without a tag) is left out of the record too. ``facility`` and ``severity``
are the names rsyslog and RFC 5424 use; ``level`` is the same severity in the
words Barito's tail and search filter on (``fatal``, ``error``, ``warn``,
``info``, ``debug``). Structured data nests as ``{SD-ID: {name: value}}``; a
parameter named more than once (Loggly's ``tag``) keeps every value, as a list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FACILITIES",
    "LEVELS",
    "SEVERITIES",
    "MalformedSyslog",
    "StructuredData",
    "SyslogMessage",
    "parse_pri",
]

FACILITIES = (
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    *(f"local{n}" for n in range(8)),
)
"""RFC 5424 table 1, by code (0-23), named as rsyslog names them."""

SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
"""RFC 5424 table 2, by code (0-7)."""

LEVELS = ("fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug")
"""Each severity as Barito's ``level`` (what the tail's level filter and colours read)."""

StructuredData = dict[str, dict[str, str | list[str]]]
"""``{SD-ID: {param name: value, or every value of a repeated name}}``."""


class MalformedSyslog(ValueError):
    """A frame that is not a syslog message; the text says what is wrong, never the content."""


@dataclass
class SyslogMessage:
    """The fields of one message; ``time`` is the chunk codec's event time (UTC, ms, ``Z``)."""

    pri: int
    time: str
    hostname: str | None = None
    app_name: str | None = None
    procid: str | None = None
    msgid: str | None = None
    structured_data: StructuredData = field(default_factory=dict)
    message: str | None = None

    @property
    def facility(self) -> str:
        return FACILITIES[self.pri >> 3]

    @property
    def severity(self) -> str:
        return SEVERITIES[self.pri & 7]

    def record(self) -> dict[str, Any]:
        """The event's record (its time goes beside it, as ``Event.time``)."""
        record: dict[str, Any] = {}
        if self.message is not None:
            record["message"] = self.message
        record["level"] = LEVELS[self.pri & 7]
        record["facility"] = self.facility
        record["severity"] = self.severity
        for name in ("hostname", "app_name", "procid", "msgid"):
            value = getattr(self, name)
            if value is not None:
                record[name] = value
        if self.structured_data:
            record["structured_data"] = self.structured_data
        return record


def parse_pri(text: str) -> tuple[int, int]:
    """``<PRI>`` at the start of ``text``: its value (0-191) and the index just after ``>``."""
    if not text.startswith("<"):
        raise MalformedSyslog("does not start with <PRI>")
    end = text.find(">", 1, 5)
    digits = text[1:end] if end > 0 else ""
    if not (digits.isascii() and digits.isdigit()):
        raise MalformedSyslog("<PRI> is not 1 to 3 digits closed by '>'")
    pri = int(digits)
    if pri > 191:
        raise MalformedSyslog(f"<PRI> {pri} is over 191 (facility 23, severity 7)")
    return pri, end + 1
