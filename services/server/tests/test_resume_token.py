"""The resume token round-trips positions and refuses anything it did not issue."""

from __future__ import annotations

import pytest

from barito_server.resume_token import BadResumeToken, Position, decode_token, encode_token


def test_token_round_trips_every_partition_position() -> None:
    positions = {0: Position(120, 3), 1: Position(0, 0), 7: Position(2**40, 999)}
    token = encode_token("checkout", positions)
    assert decode_token(token, app="checkout") == positions
    # URL-safe without escaping: it travels in a query string.
    assert all(c.isalnum() or c in "-_" for c in token)


def test_token_of_another_app_is_refused() -> None:
    token = encode_token("checkout", {0: Position(1, 0)})
    with pytest.raises(BadResumeToken, match="another app"):
        decode_token(token, app="billing")


@pytest.mark.parametrize(
    "token",
    ["", "not base64!", "aGVsbG8", "MnxjaGVja291dHww", "MXxjaGVja291dHww", "x" * 9000],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(BadResumeToken):
        decode_token(token, app="checkout")
