"""Bandit over the code that ships: libs/*/src and services/*/src, not the tests."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from barito_cli.audit.exceptions import CodeException
from barito_cli.audit.outcome import CheckResult, Finding

__all__ = ["judge_bandit", "run_bandit", "source_folders"]

CHECK = "bandit"


def source_folders(repo: Path) -> list[str]:
    """Every package's src folder, relative to the repo (bandit then reports relative paths)."""
    return sorted(
        str(src.relative_to(repo))
        for pattern in ("libs/*/src", "services/*/src")
        for src in repo.glob(pattern)
        if src.is_dir()
    )


def judge_bandit(report: Mapping[str, Any], exceptions: Sequence[CodeException]) -> CheckResult:
    """Bandit's JSON report, each result matched against the justified ones."""
    findings = []
    used: set[CodeException] = set()
    for result in report.get("results", []):
        test, path = result["test_id"], result["filename"]
        exception = next((e for e in exceptions if e.matches(test, path)), None)
        if exception is not None:
            used.add(exception)
        findings.append(
            Finding(
                key=test,
                where=f"{path}:{result['line_number']}",
                summary=f"{result['issue_severity'].lower()}: {result['issue_text']}",
                justification=exception.reason if exception else None,
            )
        )
    # A file bandit could not parse went unchecked: that fails like a finding.
    for error in report.get("errors", []):
        findings.append(Finding("error", error["filename"], f"not scanned: {error['reason']}"))
    notes = tuple(
        f"exception {e.test} for {', '.join(e.paths)} matched nothing: remove it"
        for e in exceptions
        if e not in used
    )
    return CheckResult(CHECK, tuple(findings), notes=notes)


def run_bandit(repo: Path, exceptions: Sequence[CodeException]) -> CheckResult:
    """Run bandit (offline, configured by [tool.bandit] in pyproject.toml) and judge it."""
    # Bandit's own argv, the running interpreter's module: no shell, no input from outside.
    done = subprocess.run(
        [sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-q", "-f", "json",
         "-r", *source_folders(repo)],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return CheckResult(
            CHECK, (Finding("error", "bandit", f"bandit did not report: {done.stderr[-2000:]}"),)
        )
    return judge_bandit(report, exceptions)
