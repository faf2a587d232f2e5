"""`barito audit bandit` end to end on a small repository of its own: a finding fails
the run until the exceptions file justifies it, and a broken exceptions file stops it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from barito_cli.audit.commands import audit_command

CODE = 'import subprocess\n\nsubprocess.run(["true"], check=True)\n'
JUSTIFIED = """
[[bandit]]
test = "{test}"
paths = ["services/*/src/*"]
reason = "the test's own call"
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    source = tmp_path / "services" / "demo" / "src" / "barito_demo"
    source.mkdir(parents=True)
    (source / "run.py").write_text(CODE)
    (tmp_path / "pyproject.toml").write_text('[tool.bandit]\nexclude_dirs = ["tests"]\n')
    (tmp_path / "security").mkdir()
    monkeypatch.setenv("BARITO_HOME", str(tmp_path))
    return tmp_path


def audit(*args: str) -> Result:
    return CliRunner().invoke(audit_command, ["bandit", *args])


def test_an_unjustified_finding_fails_the_run_and_names_where_it_is(repo: Path) -> None:
    result = audit()
    assert result.exit_code == 1
    assert "FINDING B603 services/demo/src/barito_demo/run.py:3" in result.output
    assert "audit failed (bandit)" in result.output


def test_justified_findings_pass_and_are_listed_with_verbose(repo: Path) -> None:
    exceptions = "".join(JUSTIFIED.format(test=test) for test in ("B404", "B603", "B607"))
    (repo / "security" / "audit-exceptions.toml").write_text(exceptions)
    result = audit("-v")
    assert result.exit_code == 0, result.output
    assert "clean (3 justified finding(s))" in result.output
    assert "justified B603 services/demo/src/barito_demo/run.py:3" in result.output


def test_a_broken_exceptions_file_stops_the_audit(repo: Path) -> None:
    (repo / "security" / "audit-exceptions.toml").write_text('[[bandit]]\ntest = "B603"\n')
    result = audit()
    assert result.exit_code == 1
    assert "audit-exceptions.toml" in result.output and "reason" in result.output
