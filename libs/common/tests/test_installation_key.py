"""Secrets sealed under the installation key open only under that key, and never show in plain."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from barito_common.installation_key import InstallationKey, SealedSecretError

KEY = "k3y-of-the-installation-0123456789abcdef"


def test_a_sealed_secret_opens_under_the_same_key_in_another_process_too() -> None:
    sealed = InstallationKey(SecretStr(KEY)).seal("the forward key")
    assert "the forward key" not in sealed
    # A second object from the same text is what another service builds.
    assert InstallationKey(KEY).open(sealed) == "the forward key"
    # Each sealing is new (random IV): two tokens of one secret do not match.
    assert InstallationKey(KEY).seal("the forward key") != sealed


def test_another_installations_key_or_a_changed_token_does_not_open() -> None:
    sealed = InstallationKey(KEY).seal("the forward key")
    with pytest.raises(SealedSecretError, match="does not open under this installation key"):
        InstallationKey(KEY + "-other").open(sealed)
    tampered = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    with pytest.raises(SealedSecretError):
        InstallationKey(KEY).open(tampered)
    with pytest.raises(SealedSecretError):
        InstallationKey(KEY).open("not a token at all é")


def test_a_short_installation_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 characters"):
        InstallationKey("short")
