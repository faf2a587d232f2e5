"""The provisioner's tokens, read from mounted files and kept out of reprs and errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from barito_provisioner.drivers.kubernetes.api import KubernetesApi
from barito_provisioner.drivers.nomad.client import NomadClient
from barito_provisioner.settings import ProvisionerSettings

NOMAD_TOKEN = "nomad-acl-token-from-a-file"
KUBERNETES_TOKEN = "kubernetes-bearer-from-a-file"


@pytest.fixture(autouse=True)
def _no_barito_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.upper().startswith("BARITO_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ProvisionerSettings:
    (tmp_path / "nomad-token").write_text(f"{NOMAD_TOKEN}\n")
    (tmp_path / "kubernetes-token").write_text(f"{KUBERNETES_TOKEN}\n")
    monkeypatch.setenv("BARITO_NOMAD__TOKEN_FILE", str(tmp_path / "nomad-token"))
    monkeypatch.setenv("BARITO_KUBERNETES__TOKEN_FILE", str(tmp_path / "kubernetes-token"))
    monkeypatch.setenv("BARITO_KUBERNETES__API_URL", "https://kubernetes.example.test:6443")
    # A setting named ..._FILE is itself, not a file of another one.
    monkeypatch.setenv("BARITO_KUBERNETES__CA_FILE", "/var/run/secrets/ca.crt")
    return ProvisionerSettings()


def test_nomad_and_kubernetes_tokens_are_read_from_files_and_masked(
    settings: ProvisionerSettings,
) -> None:
    assert settings.nomad.token is not None and settings.kubernetes.token is not None
    assert settings.nomad.token.get_secret_value() == NOMAD_TOKEN
    assert settings.kubernetes.token.get_secret_value() == KUBERNETES_TOKEN
    assert settings.kubernetes.ca_file == "/var/run/secrets/ca.crt"
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert NOMAD_TOKEN not in shown and KUBERNETES_TOKEN not in shown


def test_the_nomad_client_sends_the_token_itself(settings: ProvisionerSettings) -> None:
    assert NomadClient(settings.nomad)._api.token == NOMAD_TOKEN


async def test_the_kubernetes_client_sends_the_token_itself(settings: ProvisionerSettings) -> None:
    # The system's trust store: the client loads a CA file as it is made.
    kubernetes = settings.kubernetes.model_copy(update={"ca_file": None})
    api = await KubernetesApi(kubernetes)._api()
    try:
        assert api.configuration.api_key == {"BearerToken": KUBERNETES_TOKEN}
    finally:
        await api.close()
