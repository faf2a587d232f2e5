"""A frame's bytes to its app secret and its message, the secret taken out of what is stored.

The app is named the way hosted log services take a token over syslog: an
SD element ``[barito@32473 secret="<app secret>"]`` (32473 is the enterprise
number RFC 5612 reserves for documentation; the bare SD-ID ``barito`` works
too). RFC 3164 has no structured data, so there the same element opens MSG::

    <14>1 2024-05-01T12:00:00.000Z web01 app 12 - [barito@32473 secret="s3cr3t"] hello
    <14>May  1 12:00:00 web01 app[12]: [barito@32473 secret="s3cr3t"] hello

The ``secret`` parameter is removed from the stored structured data (and the
element with it when nothing else is left); other parameters of the element,
e.g. ``tag="web"``, are kept.

    >>> from datetime import UTC, datetime
    >>> secret, m = decode_frame(
    ...     b'<14>May  1 12:00:00 web01 app[12]: [barito@32473 secret="s3cr3t" tag="a"] hi\\n',
    ...     received_at=datetime(2024, 5, 1, tzinfo=UTC))
    >>> secret, m.structured_data, m.message
    ('s3cr3t', {'barito@32473': {'tag': 'a'}}, 'hi')
"""

from __future__ import annotations

from datetime import datetime

from barito_receiver.syslog.message import MalformedSyslog, StructuredData, SyslogMessage, parse_pri
from barito_receiver.syslog.rfc3164 import parse_rfc3164, split_tag
from barito_receiver.syslog.rfc5424 import is_rfc5424, parse_rfc5424
from barito_receiver.syslog.structured_data import parse_structured_data

__all__ = ["TOKEN_SD_IDS", "decode_frame"]

TOKEN_SD_IDS = ("barito@32473", "barito")
"""SD-IDs whose ``secret`` parameter names the app."""

_TOKEN_OPENINGS = tuple(f"[{sd_id} " for sd_id in TOKEN_SD_IDS)
# What framing may leave at a frame's end: the LF that RSYSLOG_SyslogProtocol23Format
# puts inside the octet count, a CR before it, the NUL some senders frame with.
_TRAILER = b"\n\r\x00"


def decode_frame(frame: bytes, *, received_at: datetime) -> tuple[str | None, SyslogMessage]:
    """The app secret the frame carries (None without one) and its message.

    Raises :class:`MalformedSyslog` for a frame that is no syslog message.
    """
    # Invalid UTF-8 (MSG "may be any octets") is kept readable rather than refused.
    text = frame.rstrip(_TRAILER).decode("utf-8", errors="replace")
    _, after_pri = parse_pri(text)
    if is_rfc5424(text, after_pri):
        message = parse_rfc5424(text, received_at=received_at)
    else:
        message = parse_rfc3164(text, received_at=received_at)
        _token_at_msg_start(message)
    return _take_secret(message.structured_data), message


def _token_at_msg_start(message: SyslogMessage) -> None:
    # Spaces first: an rsyslog template "%syslogtag% [barito...]" leaves two
    # when the message had no tag.
    text = (message.message or "").lstrip(" ")
    if not text.startswith(_TOKEN_OPENINGS):
        # The same template after a tag with neither colon nor PID (rsyslog's
        # tag of an RFC 5424 message without PROCID): the word before is the tag.
        tag, _, rest = text.partition(" ")
        rest = rest.lstrip(" ")
        if message.app_name is not None or not tag or not rest.startswith(_TOKEN_OPENINGS):
            return
        message.app_name, message.procid = split_tag(tag)
        text = rest
    structured_data, end = parse_structured_data(text, 0)
    message.structured_data = structured_data
    message.message = text[end + 1 :] if text.startswith(" ", end) else text[end:]


def _take_secret(structured_data: StructuredData) -> str | None:
    found: list[str] = []
    for sd_id in TOKEN_SD_IDS:
        params = structured_data.get(sd_id)
        if params is None or "secret" not in params:
            continue
        value = params.pop("secret")
        found.extend(value if isinstance(value, list) else [value])
        if not params:
            del structured_data[sd_id]
    if len(set(found)) > 1:
        raise MalformedSyslog("the message names more than one app secret")
    return found[0] if found else None
