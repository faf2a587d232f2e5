"""Undo a request's Content-Encoding without ever holding more than the size limit.

    >>> import gzip
    >>> decompress(gzip.compress(b'{"msg":"a"}'), "gzip", max_bytes=1024, max_ratio=100)
    b'{"msg":"a"}'

Supported encodings: identity (or none), ``gzip`` / ``x-gzip`` (several
concatenated members too), ``zstd`` (several frames too) and ``deflate`` (zlib
wrapped, or raw as some clients send it). A comma-separated list is undone
right to left, as RFC 9110 says.

Errors (see :mod:`barito_receiver.decode_errors`): :class:`BodyTooLarge` past
``max_bytes`` of output or past ``max_ratio`` times the compressed size,
:class:`MalformedBody` for corrupt or truncated data, and
:class:`UnsupportedEncoding` for anything else (``br``, ``snappy``...).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import zstandard

from barito_receiver.decode_errors import (
    BodyTooLarge,
    MalformedBody,
    UnsupportedEncoding,
    excerpt,
)

__all__ = ["SUPPORTED_ENCODINGS", "decompress"]

SUPPORTED_ENCODINGS = ("identity", "gzip", "x-gzip", "zstd", "deflate")
MIB = 1024 * 1024

# A compression bomb is a denial of service, not a data problem, so the ratio is
# only judged once the output is big enough to matter: a few KiB of identical
# log lines legitimately compress several hundred times, and refusing them
# would only make agents retry forever.
RATIO_GRACE_BYTES = MIB

# zstd keeps a window of recent output to copy matches from, as large as the
# frame asks (libzstd allows 128 MiB). Levels up to 19 use at most 8 MiB, which
# is all a log agent needs; bigger windows are refused rather than allocated.
_ZSTD_MAX_WINDOW = 8 * MIB
# One zstd block yields at most 128 KiB and costs at least 4 bytes of input, so
# feeding n bytes can never yield more than (n / 4 + 1) * 128 KiB. Input is fed
# in slices sized from the output budget left, which keeps the overshoot under
# about 1 MiB while a bomb is being detected.
_ZSTD_BLOCK = 128 * 1024
_ZSTD_MIN_SLICE = 32
_FIRST_SLICE = 256
_MAX_SLICE = 256 * 1024
_OUTPUT_PIECE = MIB


class _Budget:
    """How much output the body may expand to, and the error once it does not fit."""

    def __init__(self, compressed_size: int, encoding: str, *, max_bytes: int, max_ratio: float):
        by_ratio = max(int(compressed_size * max_ratio), RATIO_GRACE_BYTES)
        self.limit = min(max_bytes, by_ratio)
        self._ratio_binds = by_ratio < max_bytes
        self._describe = (
            f"{encoding} body of {compressed_size} bytes expands more than {max_ratio:g} times; "
            "refused as a possible compression bomb"
        )
        self._max_bytes = max_bytes

    def too_large(self) -> BodyTooLarge:
        if self._ratio_binds:
            return BodyTooLarge(self._describe)
        return BodyTooLarge(
            f"body decompresses to more than {self._max_bytes} bytes, over the limit"
        )


def decompress(
    body: bytes, content_encoding: str | None, *, max_bytes: int, max_ratio: float
) -> bytes:
    """Return ``body`` with its Content-Encoding undone, or raise a ``BodyError``."""
    codings = _codings(content_encoding)
    for coding in reversed(codings):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            accepted = ", ".join(SUPPORTED_ENCODINGS)
            raise UnsupportedEncoding(
                f"Content-Encoding {excerpt(coding)} is not supported; use one of: {accepted}"
            )
        budget = _Budget(len(body), coding, max_bytes=max_bytes, max_ratio=max_ratio)
        body = decoder(body, budget)
    if len(body) > max_bytes:
        raise BodyTooLarge(f"body is {len(body)} bytes, over the limit of {max_bytes} bytes")
    return body


def _codings(header: str | None) -> list[str]:
    if not header:
        return []
    codings = [part.strip().lower() for part in header.split(",")]
    return [coding for coding in codings if coding and coding != "identity"]


def _gunzip(body: bytes, budget: _Budget) -> bytes:
    view = memoryview(body)
    pieces: list[bytes] = []
    produced = offset = 0
    # A gzip stream may hold several members back to back (`cat a.gz b.gz`);
    # NUL padding after the last member is tolerated, as gzip(1) does.
    while offset < len(view):
        if view[offset] == 0 and not view[offset:].tobytes().strip(b"\0"):
            break
        piece, offset = _inflate(view, offset, zlib.MAX_WBITS | 16, budget, produced, "gzip")
        pieces.append(piece)
        produced += len(piece)
    return _join(pieces)


def _inflate_deflate(body: bytes, budget: _Budget) -> bytes:
    # HTTP's "deflate" is the zlib format (RFC 1950), but some clients send a
    # raw deflate stream; a zlib header is recognisable by its checksum.
    is_zlib = len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0
    wbits = zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS
    output, end = _inflate(memoryview(body), 0, wbits, budget, 0, "deflate")
    if end != len(body):
        raise MalformedBody("deflate body has trailing bytes after the end of its stream")
    return output


def _inflate(
    view: memoryview, offset: int, wbits: int, budget: _Budget, produced: int, name: str
) -> tuple[bytes, int]:
    """Inflate the zlib/gzip stream at ``offset``; return its output and where it ended."""
    inflater = zlib.decompressobj(wbits)
    pieces: list[bytes] = []
    pending: bytes | memoryview = b""
    # Input goes in slices that start small and double: zlib copies whatever
    # input is left over, and many tiny members must not each copy the body.
    slice_size = _FIRST_SLICE
    filled = False
    try:
        while not inflater.eof:
            # A piece that filled its max_length may leave output inside zlib
            # with no input pending: ask again before feeding more.
            if not pending and not filled:
                if offset >= len(view):
                    raise MalformedBody(f"{name} body is truncated: the stream ends early")
                pending = view[offset : offset + slice_size]
                offset += len(pending)
                slice_size = min(slice_size * 2, _MAX_SLICE)
            # max_length caps what zlib allocates: output comes in pieces of at
            # most a MiB, and one byte past the budget is enough to refuse it.
            wanted = min(budget.limit - produced + 1, _OUTPUT_PIECE)
            piece = inflater.decompress(pending, wanted)
            produced += len(piece)
            if produced > budget.limit:
                raise budget.too_large()
            pieces.append(piece)
            pending = inflater.unconsumed_tail
            filled = len(piece) == wanted
    except zlib.error as err:
        raise MalformedBody(f"{name} body is corrupt: {err}") from err
    return _join(pieces), offset - len(inflater.unused_data)


def _unzstd(body: bytes, budget: _Budget) -> bytes:
    decompressor = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW)
    view = memoryview(body)
    pieces: list[bytes] = []
    produced = offset = 0
    try:
        # One decompressobj per frame: only a single-frame object reports eof,
        # which is how a truncated frame is told from a complete one.
        while offset < len(view):
            frame = decompressor.decompressobj()
            while not frame.eof:
                if offset >= len(view):
                    raise MalformedBody("zstd body is truncated: the last frame ends early")
                size = max(_ZSTD_MIN_SLICE, (budget.limit - produced) // (_ZSTD_BLOCK // 4))
                piece = frame.decompress(view[offset : offset + size])
                offset += size
                produced += len(piece)
                if produced > budget.limit:
                    raise budget.too_large()
                pieces.append(piece)
            offset = min(offset, len(view)) - len(frame.unused_data)
    except zstandard.ZstdError as err:
        if "too much memory" in str(err):
            raise BodyTooLarge(
                f"zstd body needs a window over {_ZSTD_MAX_WINDOW // MIB} MiB to decode; "
                "compress it at level 19 or lower, without --long"
            ) from err
        raise MalformedBody(f"zstd body is corrupt: {err}") from err
    return _join(pieces)


def _join(pieces: list[bytes]) -> bytes:
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


_DECODERS: dict[str, Callable[[bytes, _Budget], bytes]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "zstd": _unzstd,
    "deflate": _inflate_deflate,
}
