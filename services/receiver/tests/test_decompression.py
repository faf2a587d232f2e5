"""Content-Encoding: round trips, corrupt data, and bombs refused without being inflated."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Callable

import pytest
import zstandard

from barito_receiver.decode_errors import (
    BodyError,
    BodyTooLarge,
    MalformedBody,
    UnsupportedEncoding,
)
from barito_receiver.decompression import RATIO_GRACE_BYTES, decompress

MIB = 1024 * 1024
LIMIT = 16 * MIB
RATIO = 200.0
BODY = b"".join(b'{"msg":"request %d handled","n":%d}\n' % (n, n) for n in range(2000))


def unzip(body: bytes, encoding: str | None) -> bytes:
    return decompress(body, encoding, max_bytes=LIMIT, max_ratio=RATIO)


def zeros_bomb(compress: Callable[[bytes], bytes], flush: Callable[[], bytes]) -> bytes:
    """64 MiB of zeros, compressed a MiB at a time so the test never holds them."""
    zeros = bytes(MIB)
    return b"".join([compress(zeros) for _ in range(64)] + [flush()])


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return zeros_bomb(compressor.compress, compressor.flush)


@pytest.fixture(scope="module")
def zstd_bomb() -> bytes:
    compressor = zstandard.ZstdCompressor(level=3).compressobj()
    return zeros_bomb(compressor.compress, compressor.flush)


@pytest.mark.parametrize("encoding", [None, "", "identity", "IDENTITY"])
def test_identity_returns_the_body_unchanged(encoding: str | None) -> None:
    assert unzip(BODY, encoding) is BODY


def test_an_identity_body_over_the_limit_is_too_large() -> None:
    with pytest.raises(BodyTooLarge, match="over the limit of 1024 bytes"):
        decompress(bytes(1025), None, max_bytes=1024, max_ratio=RATIO)


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "GZIP", " gzip "])
def test_gzip_round_trips(encoding: str) -> None:
    assert unzip(gzip.compress(BODY), encoding) == BODY


def test_concatenated_gzip_members_are_all_decoded() -> None:
    body = gzip.compress(BODY[:1000]) + gzip.compress(b"") + gzip.compress(BODY[1000:])
    assert unzip(body, "gzip") == BODY


def test_nul_padding_after_the_last_gzip_member_is_ignored() -> None:
    assert unzip(gzip.compress(BODY) + bytes(16), "gzip") == BODY


def test_zstd_round_trips_including_several_frames() -> None:
    compressor = zstandard.ZstdCompressor()
    assert unzip(compressor.compress(BODY), "zstd") == BODY
    frames = compressor.compress(BODY[:1000]) + compressor.compress(BODY[1000:])
    assert unzip(frames, "zstd") == BODY


def test_zstd_frames_without_a_declared_size_round_trip() -> None:
    compressor = zstandard.ZstdCompressor().compressobj()
    streamed = compressor.compress(BODY) + compressor.flush()
    assert unzip(streamed, "zstd") == BODY


def test_deflate_accepts_zlib_and_raw_streams() -> None:
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert unzip(zlib.compress(BODY), "deflate") == BODY
    assert unzip(raw.compress(BODY) + raw.flush(), "deflate") == BODY


def test_a_list_of_encodings_is_undone_right_to_left() -> None:
    body = zstandard.ZstdCompressor().compress(gzip.compress(BODY))
    assert unzip(body, "gzip, zstd") == BODY
    assert unzip(gzip.compress(BODY), "gzip, identity") == BODY


def test_gzip_bomb_is_refused_past_max_bytes_without_inflating_it(gzip_bomb: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match=f"more than {LIMIT} bytes"):
            decompress(gzip_bomb, "gzip", max_bytes=LIMIT, max_ratio=1e9)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < LIMIT + 4 * MIB


def test_zstd_bomb_is_refused_past_max_bytes_without_inflating_it(zstd_bomb: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match=f"more than {LIMIT} bytes"):
            decompress(zstd_bomb, "zstd", max_bytes=LIMIT, max_ratio=1e9)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < LIMIT + 4 * MIB


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_a_body_expanding_past_max_ratio_is_refused_as_a_bomb(
    encoding: str, gzip_bomb: bytes, zstd_bomb: bytes
) -> None:
    bomb = gzip_bomb if encoding == "gzip" else zstd_bomb
    with pytest.raises(BodyTooLarge, match="compression bomb") as caught:
        decompress(bomb, encoding, max_bytes=1024 * MIB, max_ratio=RATIO)
    assert caught.value.status == 413


def test_small_bodies_may_compress_beyond_max_ratio() -> None:
    # Identical log lines compress far better than RATIO; below the grace size
    # they are no threat and must not be refused.
    body = b'{"msg":"same line"}\n' * (RATIO_GRACE_BYTES // 21)
    compressed = gzip.compress(body)
    assert len(body) / len(compressed) > RATIO
    assert unzip(compressed, "gzip") == body


@pytest.mark.parametrize(
    ("body", "encoding", "problem"),
    [
        (b"this is not gzip", "gzip", "gzip body is corrupt"),
        (gzip.compress(BODY)[:-20], "gzip", "gzip body is truncated"),
        (gzip.compress(BODY)[:5], "gzip", "gzip body is truncated"),
        (gzip.compress(BODY) + b"junk", "gzip", "gzip body is corrupt"),
        (gzip.compress(BODY)[:30] + bytes(30) + gzip.compress(BODY)[60:], "gzip", "corrupt"),
        (b"this is not zstd", "zstd", "zstd body is corrupt"),
        (zstandard.ZstdCompressor().compress(BODY)[:-8], "zstd", "zstd body is truncated"),
        (zlib.compress(BODY)[:-10], "deflate", "deflate body is truncated"),
        (zlib.compress(BODY) + b"junk", "deflate", "trailing bytes"),
    ],
)
def test_corrupt_or_truncated_data_is_a_malformed_body(
    body: bytes, encoding: str, problem: str
) -> None:
    with pytest.raises(MalformedBody, match=problem) as caught:
        unzip(body, encoding)
    assert caught.value.status == 400


def test_a_zstd_frame_asking_for_a_huge_window_is_refused_before_allocating_it() -> None:
    params = zstandard.ZstdCompressionParameters(window_log=26, enable_ldm=True)
    body = zstandard.ZstdCompressor(compression_params=params).compress(bytes(range(256)) * 65536)
    with pytest.raises(BodyTooLarge, match="window over 8 MiB"):
        decompress(body, "zstd", max_bytes=64 * MIB, max_ratio=1e9)


@pytest.mark.parametrize("encoding", ["br", "snappy", "compress", "gzip, br"])
def test_an_unknown_encoding_is_unsupported_and_the_message_lists_the_known_ones(
    encoding: str,
) -> None:
    with pytest.raises(UnsupportedEncoding) as caught:
        unzip(b"body", encoding)
    assert caught.value.status == 415
    assert "is not supported" in str(caught.value)
    assert "gzip" in str(caught.value) and "zstd" in str(caught.value)


def test_every_decompression_error_is_a_body_error_with_a_status() -> None:
    for error in (BodyTooLarge("x"), MalformedBody("x"), UnsupportedEncoding("x")):
        assert isinstance(error, BodyError) and isinstance(error, ValueError)
    assert (BodyTooLarge.status, MalformedBody.status, UnsupportedEncoding.status) == (
        413,
        400,
        415,
    )
