"""RFC 6587 framing of a TCP syslog stream, decided frame by frame as rsyslog's imtcp does.

A frame starting with a digit is octet-counted (``MSG-LEN SP SYSLOG-MSG``,
MSG-LEN a byte count); any other frame runs to the next LF or NUL
(non-transparent framing; a CR before the LF is dropped with it). So one
connection may mix both, and LFs between octet-counted frames are skipped.

    >>> Framer(max_frame_bytes=1024).feed(b"11 <13>1 - - -<14>a\\r\\n<15>b\\x00")
    [Frame(data=b'<13>1 - - -'), Frame(data=b'<14>a'), Frame(data=b'<15>b')]

A frame over ``max_frame_bytes`` is skipped whole, without closing the
connection (rsyslog would resend what a close interrupted, and be refused
again, forever): an octet-counted one by its count, a line up to its LF.
The skip is reported as :class:`Skipped`, so the listener can log it.
A digit run that is no valid count (a leading zero, no space within 10
characters) makes the frame LF-framed, which is what rsyslog falls back to.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Frame", "Framer", "Skipped"]

# A count of more than 10 digits is no count: it is over any frame limit
# by orders of magnitude, and taking it would discard gigabytes.
_MAX_COUNT_DIGITS = 10
_BETWEEN_FRAMES = b"\n\r\x00"
_UNDECIDED = (-1, 0)


@dataclass(frozen=True)
class Frame:
    data: bytes


@dataclass(frozen=True)
class Skipped:
    """Bytes dropped from the stream; ``reason`` says why without quoting them."""

    reason: str
    label: str = "too_large"
    """The dropped-events metric's reason."""


class Framer:
    """Splits a byte stream into frames; feed it each read, call :meth:`finish` at EOF."""

    def __init__(self, max_frame_bytes: int) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._buffer = bytearray()
        self._skip_bytes = 0
        self._skip_line = False

    @property
    def pending(self) -> int:
        """Bytes held for a frame not complete yet."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame | Skipped]:
        self._buffer += data
        found: list[Frame | Skipped] = []
        while self._next(found):
            pass
        return found

    def finish(self) -> list[Frame | Skipped]:
        """At EOF: the last line if the sender closed without a trailer."""
        buffer = bytes(self._buffer.lstrip(_BETWEEN_FRAMES))
        self._buffer.clear()
        if not buffer or self._skip_bytes or self._skip_line:
            return []
        if _count(buffer) is not None:
            return [Skipped("the connection closed inside an octet-counted frame", "truncated")]
        return [Frame(buffer)]

    def _next(self, found: list[Frame | Skipped]) -> bool:
        """Take one frame (or skip) off the buffer; False when more bytes are needed."""
        buffer = self._buffer
        if self._skip_bytes:
            taken = min(self._skip_bytes, len(buffer))
            del buffer[:taken]
            self._skip_bytes -= taken
            return not self._skip_bytes
        if self._skip_line:
            end = _line_end(buffer)
            if end < 0:
                buffer.clear()
                return False
            del buffer[: end + 1]
            self._skip_line = False
            return True
        start = 0
        while start < len(buffer) and buffer[start] in _BETWEEN_FRAMES:
            start += 1
        if start:
            del buffer[:start]
        if not buffer:
            return False
        counted = _count(buffer)
        if counted is None:
            return self._line(found)
        if counted is _UNDECIDED:
            return False
        length, header = counted
        if length > self.max_frame_bytes:
            del buffer[:header]
            self._skip_bytes = length
            found.append(Skipped(f"octet-counted frame of {length} bytes is over the limit"))
            return True
        if len(buffer) < header + length:
            return False
        found.append(Frame(bytes(buffer[header : header + length])))
        del buffer[: header + length]
        return True

    def _line(self, found: list[Frame | Skipped]) -> bool:
        buffer = self._buffer
        end = _line_end(buffer)
        if end < 0:
            if len(buffer) > self.max_frame_bytes:
                buffer.clear()
                self._skip_line = True
                found.append(Skipped("line is over the limit before its end (LF)"))
                return True
            return False
        if end > self.max_frame_bytes:
            found.append(Skipped(f"line of {end} bytes is over the limit"))
        else:
            found.append(Frame(bytes(buffer[:end]).rstrip(b"\r")))
        del buffer[: end + 1]
        return True


def _count(buffer: bytes | bytearray) -> tuple[int, int] | None:
    """``(MSG-LEN, header size)`` of an octet-counted frame, :data:`_UNDECIDED` while its
    count may still be arriving, None for a frame that is not octet-counted."""
    if not buffer[:1].isdigit() or buffer[:1] == b"0":
        return None
    space = buffer.find(b" ", 0, _MAX_COUNT_DIGITS + 1)
    if space < 0:
        if len(buffer) <= _MAX_COUNT_DIGITS and buffer.isdigit():
            return _UNDECIDED
        return None
    if not buffer[:space].isdigit():
        return None
    return int(buffer[:space]), space + 1


def _line_end(buffer: bytearray) -> int:
    """Index of the first LF or NUL, -1 if none."""
    lf = buffer.find(b"\n")
    nul = buffer.find(b"\x00", 0, lf if lf >= 0 else len(buffer))
    return nul if nul >= 0 else lf
