"""`barito audit` with its vulnerability sources out of reach: the real pip-audit and
npm audit are pointed at a proxy port nobody listens on, and the run says it could
not check and exits 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from barito_cli.audit.commands import audit_command
from barito_testing.ports import free_port

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, closed)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    # No answer cached by an earlier run may stand in for the network.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_CACHE_DIR", str(tmp_path / "pip-cache"))
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    monkeypatch.setenv("BARITO_HOME", str(REPO))


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize("check", ["python", "npm"])
def test_an_audit_whose_source_cannot_be_reached_says_so_and_does_not_fail(check: str) -> None:
    result = CliRunner().invoke(audit_command, [check])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(check)
    assert "could not check, not failing the run: no answer" in result.output
