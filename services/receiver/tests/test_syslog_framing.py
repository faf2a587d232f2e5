"""RFC 6587 framing, engine-free: octet counting and LF/NUL/CRLF, decided per frame; limits."""

from __future__ import annotations

from barito_receiver.syslog.framing import Frame, Framer, Skipped

M1 = b"<13>1 - h a - - - one"
M2 = b"<13>May  1 12:00:00 h a: two"


def counted(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message


def frames(framer: Framer, *pieces: bytes) -> list[Frame | Skipped]:
    found: list[Frame | Skipped] = []
    for piece in pieces:
        found += framer.feed(piece)
    return found + framer.finish()


def test_octet_counted_and_lf_framed_frames_mix_on_one_connection() -> None:
    stream = counted(M1) + M2 + b"\n" + counted(M1 + b"\n") + M2 + b"\r\n" + M1 + b"\x00"
    assert frames(Framer(1024), stream) == [
        Frame(M1),
        Frame(M2),
        Frame(M1 + b"\n"),  # Protocol23's LF is inside the count; the decoder drops it
        Frame(M2),
        Frame(M1),
    ]


def test_count_is_bytes_not_characters_and_frames_may_contain_lf() -> None:
    message = "<13>1 - h a - - - café\nline two".encode()
    assert frames(Framer(1024), counted(message)) == [Frame(message)]


def test_frames_split_across_reads_at_every_byte() -> None:
    stream = counted(M1) + M2 + b"\n" + counted(M1)
    for cut in range(1, len(stream)):
        assert frames(Framer(1024), stream[:cut], stream[cut:]) == [
            Frame(M1),
            Frame(M2),
            Frame(M1),
        ], cut


def test_last_line_without_trailer_is_a_frame_at_eof_and_a_cut_count_is_skipped() -> None:
    assert frames(Framer(1024), M2) == [Frame(M2)]
    assert frames(Framer(1024), b"30 <13>1 - h a") == [
        Skipped("the connection closed inside an octet-counted frame", "truncated")
    ]


def test_oversized_counted_frame_is_skipped_by_its_count_and_the_next_frame_is_read() -> None:
    big = b"<13>1 - h a - - - " + b"x" * 100
    assert frames(Framer(64), counted(big), counted(M1)) == [
        Skipped(f"octet-counted frame of {len(big)} bytes is over the limit"),
        Frame(M1),
    ]


def test_oversized_line_is_skipped_to_its_lf_even_across_reads() -> None:
    framer = Framer(64)
    assert frames(framer, b"<13>" + b"y" * 50, b"y" * 50, b"y" * 50 + b"\n" + M2 + b"\n") == [
        Skipped("line is over the limit before its end (LF)"),
        Frame(M2),
    ]
    assert frames(Framer(64), b"<13>" + b"z" * 70 + b"\n" + M2 + b"\n") == [
        Skipped("line of 74 bytes is over the limit"),
        Frame(M2),
    ]


def test_digits_that_are_no_count_fall_back_to_lf_framing() -> None:
    # A leading zero, digits running into text, more than 10 digits: as rsyslog, LF framing.
    assert frames(Framer(1024), b"012 <13>a\n", b"2024-05-01 text\n", b"12345678901 x\n") == [
        Frame(b"012 <13>a"),
        Frame(b"2024-05-01 text"),
        Frame(b"12345678901 x"),
    ]


def test_blank_lines_and_nuls_between_frames_are_no_frames() -> None:
    assert frames(Framer(1024), b"\n\r\n\x00" + counted(M1) + b"\n\n" + M2 + b"\n") == [
        Frame(M1),
        Frame(M2),
    ]
