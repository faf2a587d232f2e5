"""Syslog frames to records, engine-free: RFC 5424 and 3164 (the RFCs' own examples), the token.

The RFC 5424 examples are section 6.5's; the 3164 ones section 5.4's, and
what rsyslog's omfwd sends with its stock templates.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from barito_receiver.syslog.decode import decode_frame
from barito_receiver.syslog.message import MalformedSyslog, SyslogMessage

RECEIVED = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
NOW = "2024-05-01T12:30:00.000Z"


def decode(frame: bytes) -> tuple[str | None, SyslogMessage]:
    return decode_frame(frame, received_at=RECEIVED)


def record(frame: bytes) -> dict[str, object]:
    return decode(frame)[1].record()


# --- RFC 5424 ---------------------------------------------------------------


def test_rfc5424_example_1_nil_procid_no_structured_data_and_a_bom() -> None:
    _, message = decode(
        b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
        b"\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8"
    )
    assert message.time == "2003-10-11T22:14:15.003Z"
    assert message.record() == {
        "message": "'su root' failed for lonvick on /dev/pts/8",
        "level": "fatal",
        "facility": "auth",
        "severity": "crit",
        "hostname": "mymachine.example.com",
        "app_name": "su",
        "msgid": "ID47",
    }


def test_rfc5424_example_2_offset_time_and_microseconds() -> None:
    _, message = decode(
        b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
        b"%% It's time to make the do-nuts."
    )
    assert message.time == "2003-08-24T12:14:15.000Z"
    assert message.record() == {
        "message": "%% It's time to make the do-nuts.",
        "level": "info",
        "facility": "local4",
        "severity": "notice",
        "hostname": "192.0.2.1",
        "app_name": "myproc",
        "procid": "8710",
    }


def test_rfc5424_example_3_and_4_structured_data_nests_and_no_msg() -> None:
    with_msg = record(
        b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        b'[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] '
        b"\xef\xbb\xbfAn application event log entry..."
    )
    assert with_msg["structured_data"] == {
        "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"}
    }
    assert with_msg["message"] == "An application event log entry..."

    only_sd = record(
        b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        b'[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
        b'[examplePriority@32473 class="high"]'
    )
    assert only_sd["structured_data"] == {
        "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
        "examplePriority@32473": {"class": "high"},
    }
    assert "message" not in only_sd


def test_all_nil_header_is_dated_when_received() -> None:
    _, message = decode(b"<13>1 - - - - - -")
    assert message.time == NOW
    assert message.record() == {"level": "info", "facility": "user", "severity": "notice"}


def test_escaped_quote_backslash_and_bracket_in_values_are_unescaped() -> None:
    data = record(
        b'<14>1 2024-05-01T12:00:00Z h a - - [x@32473 q="say \\"hi\\"" b="C:\\\\tmp" r="[1\\]" '
        b'other="\\n stays"] m'
    )["structured_data"]
    assert data == {"x@32473": {"q": 'say "hi"', "b": "C:\\tmp", "r": "[1]", "other": "\\n stays"}}


def test_repeated_param_keeps_every_value_and_space_before_bracket_is_tolerated() -> None:
    data = record(b'<14>1 - h a - - [tags@41058 tag="web" tag="eu" ] m')["structured_data"]
    assert data == {"tags@41058": {"tag": ["web", "eu"]}}


def test_protocol23_trailing_lf_inside_the_count_is_not_part_of_the_message() -> None:
    assert record(b"<30>1 2024-05-01T12:00:00.123456+00:00 web01 nginx 812 - - GET /\n")[
        "message"
    ] == ("GET /")


def test_invalid_utf8_is_kept_readable() -> None:
    assert record(b"<14>1 - h a - - - caf\xe9")["message"] == "caf\ufffd"


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (b"hello", "<PRI>"),
        (b"<192>1 - - - - - -", "over 191"),
        (b"<1a>1 - - - - - -", "1 to 3 digits"),
        (b"<14>1 2024-05-01T12:00:00Z h", "header ends at HOSTNAME"),
        (b"<14>1 yesterday h a - - - m", "TIMESTAMP"),
        (b"<14>1 - h a - - [x a=b] m", 'no ="value"'),
        (b'<14>1 - h a - - [x a="b] m', "no closing quote"),
        (b"<14>1 - h a - - nope m", "neither '-' nor '['"),
        (b'<14>1 - h a - - [x a="b"]m', "no space between"),
    ],
)
def test_garbage_is_refused_naming_what_is_wrong(frame: bytes, says: str) -> None:
    with pytest.raises(MalformedSyslog, match=says.replace("[", r"\[")):
        decode(frame)


# --- RFC 3164 and rsyslog's forms ------------------------------------------


def test_rfc3164_bsd_time_is_utc_in_the_nearest_year() -> None:
    _, message = decode(b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed on /dev/pts/8")
    assert message.time == "2023-10-11T22:14:15.000Z"  # received May 2024: last October
    assert message.record() == {
        "message": "'su root' failed on /dev/pts/8",
        "level": "fatal",
        "facility": "auth",
        "severity": "crit",
        "hostname": "mymachine",
        "app_name": "su",
    }
    december = decode_frame(
        b"<13>Dec 31 23:59:59 h a: x", received_at=datetime(2025, 1, 1, 0, 0, 5, tzinfo=UTC)
    )[1]
    assert december.time == "2024-12-31T23:59:59.000Z"
    january = decode_frame(
        b"<13>Jan  1 00:00:01 h a: x", received_at=datetime(2024, 12, 31, 23, 59, tzinfo=UTC)
    )[1]
    assert january.time == "2025-01-01T00:00:01.000Z"


def test_rsyslog_traditional_forward_format_with_pid_and_padded_day() -> None:
    _, message = decode(b"<30>May  1 12:00:00 web01 nginx[812]: GET /health 200\n")
    assert message.time == "2024-05-01T12:00:00.000Z"
    assert message.record() == {
        "message": "GET /health 200",
        "level": "info",
        "facility": "daemon",
        "severity": "info",
        "hostname": "web01",
        "app_name": "nginx",
        "procid": "812",
    }


def test_rsyslog_forward_format_rfc3339_time() -> None:
    _, message = decode(b"<13>2024-05-01T12:00:00.123456+02:00 web01 app[9]: hi")
    assert message.time == "2024-05-01T10:00:00.123Z"
    assert (message.hostname, message.app_name, message.procid, message.message) == (
        "web01",
        "app",
        "9",
        "hi",
    )


def test_local_sender_without_hostname_or_tag() -> None:
    no_host = decode(b"<13>May  1 12:00:00 cron[5]: job done")[1]
    assert (no_host.hostname, no_host.app_name, no_host.message) == (None, "cron", "job done")
    no_time = decode(b"<13>just text")[1]
    assert no_time.time == NOW
    assert no_time.record()["message"] == "text"  # "just" read as a hostname, as rsyslog does


def test_feb_29_outside_a_leap_year_is_dated_when_received() -> None:
    _, message = decode_frame(
        b"<13>Feb 29 12:00:00 h a: x", received_at=datetime(2023, 3, 1, tzinfo=UTC)
    )
    assert message.time == "2023-03-01T00:00:00.000Z"


# --- the app secret ----------------------------------------------------------


def test_secret_in_5424_structured_data_is_taken_out_and_other_params_kept() -> None:
    secret, message = decode(
        b'<14>1 - web01 app - - [barito@32473 secret="s3cr3t" tag="web"][meta x="1"] hello'
    )
    assert secret == "s3cr3t"
    assert message.record()["structured_data"] == {
        "barito@32473": {"tag": "web"},
        "meta": {"x": "1"},
    }
    assert "s3cr3t" not in repr(message.record())


def test_secret_alone_leaves_no_structured_data_and_rsyslogs_trailing_nil_is_tolerated() -> None:
    # The documented template: [barito@32473 secret="..."]%STRUCTURED-DATA%
    secret, message = decode(b'<14>1 - web01 app - - [barito secret="s3cr3t"]- hello')
    assert secret == "s3cr3t"
    assert message.record() == {
        "message": "hello",
        "level": "info",
        "facility": "user",
        "severity": "info",
        "hostname": "web01",
        "app_name": "app",
    }


def test_secret_at_the_start_of_a_3164_msg() -> None:
    secret, message = decode(b'<14>May  1 12:00:00 web01 app[3]: [barito@32473 secret="s"] hello')
    assert secret == "s"
    assert (message.message, message.structured_data) == ("hello", {})


def test_3164_msg_opening_with_other_brackets_is_just_text() -> None:
    secret, message = decode(b"<14>May  1 12:00:00 web01 kernel: [ 12.5] usb 1-1: new device")
    assert secret is None
    assert message.message == "[ 12.5] usb 1-1: new device"


def test_no_secret_is_none_and_two_different_secrets_are_refused() -> None:
    assert decode(b"<14>1 - h a - - - hi")[0] is None
    with pytest.raises(MalformedSyslog, match="more than one app secret"):
        decode(b'<14>1 - h a - - [barito@32473 secret="a"][barito secret="b"] hi')


def test_one_leading_space_rsyslog_keeps_from_a_bsd_message_is_dropped() -> None:
    # What omfwd sent for "<14>May  5 12:00:00 myhost myapp[123]: hello one" (seen on the wire).
    _, message = decode(
        b'<14>1 2026-05-05T12:00:00+00:00 myhost myapp 123 - [barito@32473 secret="S"]-  hello one'
    )
    assert (message.app_name, message.procid, message.message) == ("myapp", "123", "hello one")


def test_3164_token_after_an_empty_tag_or_without_hostname_and_tag() -> None:
    no_tag = decode(b'<14>May  1 12:00:00 web01  [barito@32473 secret="s"] hello')
    assert (no_tag[0], no_tag[1].hostname, no_tag[1].message) == ("s", "web01", "hello")
    bare = decode(b'<14>May  1 12:00:00 [barito@32473 secret="s"] hello')
    assert (bare[0], bare[1].hostname, bare[1].message) == ("s", None, "hello")


def test_rsyslogs_bsd_tag_of_a_5424_message_has_no_colon() -> None:
    # omfwd's %syslogtag% of "<165>1 ... web01 evntslog 812 ..." is "evntslog[812]" (seen on the
    # wire), and just "evntslog" when PROCID was "-".
    with_pid = decode(b'<165>May  1 12:00:00 web01 evntslog[812] [barito@32473 secret="s"] m')
    assert with_pid[0] == "s"
    assert (with_pid[1].hostname, with_pid[1].app_name, with_pid[1].procid) == (
        "web01",
        "evntslog",
        "812",
    )
    assert with_pid[1].message == "m"
    no_pid = decode(b'<165>May  1 12:00:00 web01 evntslog [barito@32473 secret="s"] m')
    assert no_pid[0] == "s"
    assert (no_pid[1].app_name, no_pid[1].procid, no_pid[1].message) == ("evntslog", None, "m")
