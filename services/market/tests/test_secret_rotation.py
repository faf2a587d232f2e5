"""A rotated secret's hash joins the retiring list with a deadline; expired ones drop out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from barito_market.apps.secret_rotation import live_retiring, rotate

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
A, B, C = "a" * 64, "b" * 64, "c" * 64


def test_the_replaced_secret_stays_valid_for_the_grace_period() -> None:
    retiring = rotate(A, [], now=NOW, grace=timedelta(hours=24))
    assert [(s.hash, s.valid_until) for s in live_retiring(retiring, now=NOW)] == [
        (A, NOW + timedelta(hours=24))
    ]
    assert live_retiring(retiring, now=NOW + timedelta(hours=24)) == []


def test_rotating_twice_keeps_both_old_secrets_until_their_own_deadlines() -> None:
    first = rotate(A, [], now=NOW, grace=timedelta(hours=2))
    second = rotate(B, first, now=NOW + timedelta(hours=1), grace=timedelta(hours=2))
    later = NOW + timedelta(hours=2, minutes=30)
    assert [s.hash for s in live_retiring(second, now=NOW + timedelta(hours=1))] == [A, B]
    assert [s.hash for s in live_retiring(second, now=later)] == [B]


def test_no_grace_means_the_old_secret_stops_at_once_and_expired_ones_are_pruned() -> None:
    expired = rotate(C, [], now=NOW - timedelta(days=2), grace=timedelta(hours=1))
    assert rotate(A, expired, now=NOW, grace=timedelta(0)) == []
    assert rotate(None, [], now=NOW, grace=timedelta(hours=1)) == []
