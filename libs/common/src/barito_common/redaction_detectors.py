"""The built-in detectors of :mod:`barito_common.redaction`: what each finds.

Each detector is an RE2 pattern over UTF-8 bytes and a replacement that
decides, match by match, what the masked text becomes. RE2 rather than
Python's ``re``: a detector runs on every string of every event of an app,
and patterns like the email one (``[…]+@``) backtrack quadratically in
``re`` on a long run of letters without an ``@``; RE2 is linear whatever
the input.

* ``credit_card`` — 13 to 19 digits, single spaces or dashes allowed between
  them, standing alone (not inside a longer run of digits or letters), and
  masked only if the digits pass the Luhn check, so order numbers and
  timestamps of the same length stay;
* ``email`` — ``local@domain.tld``;
* ``bearer_token`` — the token after ``Bearer`` (any case); the word stays,
  so the reader still sees what the value was;
* ``jwt`` — ``eyJ….eyJ….signature`` (two base64url JSON parts and a third);
* ``aws_key`` — access key ids (``AKIA``/``ASIA`` and 16 upper-case letters
  or digits) and, after ``aws_secret_access_key`` and ``=`` or ``:``, the
  40-character secret (the name stays). A record's value under the key
  ``aws_secret_access_key`` is the secret itself: the redactor masks it when
  it is 40 such characters (:func:`is_aws_secret`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["DETECTOR_PATTERNS", "is_aws_secret", "luhn_valid", "replacer"]

_CARD = rb"\b\d(?:[ -]?\d){12,18}\b"
_EMAIL = rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_BEARER = rb"((?i:bearer)\s+)[A-Za-z0-9._~+/=-]+"
_JWT = rb"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
_AWS = (
    rb"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"
    rb"|((?i:aws_secret_access_key)[\"']?\s*[=:]\s*[\"']?)[A-Za-z0-9/+=]{40}\b"
)

DETECTOR_PATTERNS: dict[str, bytes] = {
    "credit_card": _CARD,
    "email": _EMAIL,
    "bearer_token": _BEARER,
    "jwt": _JWT,
    "aws_key": _AWS,
}
"""Detector name → its RE2 pattern (bytes). Group 1, when it matched, is kept."""

_AWS_SECRET_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=")


def luhn_valid(digits: bytes) -> bool:
    """Whether ``digits`` (ASCII digits only) pass the Luhn checksum."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = char - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def is_aws_secret(value: str) -> bool:
    """Whether ``value`` looks like an AWS secret access key (40 base64 characters)."""
    return len(value) == 40 and _AWS_SECRET_CHARS.issuperset(value.encode())


def replacer(detector: str | None, mask: bytes) -> Callable[[Any], bytes]:
    """The replacement function of one rule's matches (an RE2 bytes match each).

    A rule whose pattern matched the empty string keeps it: masking nothing
    would only insert masks between characters.
    """
    if detector == "credit_card":

        def card(match: Any) -> bytes:
            text: bytes = match.group()
            digits = text.replace(b" ", b"").replace(b"-", b"")
            return mask if luhn_valid(digits) else text

        return card
    if detector in ("bearer_token", "aws_key"):

        def keep_prefix(match: Any) -> bytes:
            prefix: bytes | None = match.group(1)
            return mask if prefix is None else prefix + mask

        return keep_prefix

    def whole(match: Any) -> bytes:
        text: bytes = match.group()
        return mask if text else text

    return whole
