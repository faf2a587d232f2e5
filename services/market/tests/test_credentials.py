"""Passwords get argon2; tokens and secrets are random and stored as SHA-256."""

from __future__ import annotations

from barito_common.schemas import hash_secret
from barito_market.accounts.credentials import (
    hash_password,
    hash_token,
    new_app_secret,
    new_token,
    verify_password,
)


def test_a_password_verifies_against_its_argon2_hash_and_nothing_else() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batter")


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("same password") != hash_password("same password")


def test_no_stored_hash_and_a_garbled_one_never_verify() -> None:
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


def test_tokens_carry_their_kind_and_are_unique() -> None:
    tokens = {new_token("bt") for _ in range(100)}
    assert len(tokens) == 100
    assert all(token.startswith("bt_") and len(token) > 40 for token in tokens)


def test_secrets_are_stored_as_the_hash_the_receiver_looks_up() -> None:
    secret = new_app_secret()
    assert len(secret) >= 40
    assert hash_token(secret) == hash_secret(secret)
    assert secret not in hash_token(secret)
