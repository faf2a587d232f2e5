"""pip-audit over exactly the packages uv.lock pins, read from the lock file itself.

The lock is read with tomllib rather than exported with uv, so the check needs
no uv on PATH and audits every pinned package whatever its platform markers.
pip-audit then runs with ``--no-deps --disable-pip``: it resolves nothing and
installs nothing, it only asks its vulnerability source about each pin.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from barito_cli.audit.exceptions import AdvisoryException
from barito_cli.audit.outcome import CheckResult, Finding

__all__ = ["judge_pip_audit", "locked_requirements", "run_pip_audit"]

CHECK = "python"
# Our own workspace members: audited as code by bandit, unknown to any advisory feed.
_OWN_SOURCES = {"editable", "virtual"}
# What pip-audit's failure to reach its vulnerability source leaves in stderr:
# its own advice for a connection error, or the traceback of one it did not wrap.
_UNREACHABLE = (
    "network may be blocking this service",
    "requests.exceptions.",
    "urllib3.exceptions.",
    "ServiceError",
)
_TIMEOUT_S = 300


def locked_requirements(lock_text: str) -> tuple[list[str], list[str]]:
    """``name==version`` for each package uv.lock pins from a registry, and the other
    third-party packages (git, path or URL sources), which no advisory feed can look up."""
    pins, others = [], []
    for package in tomllib.loads(lock_text).get("package", []):
        source = package.get("source", {})
        if "registry" in source:
            pins.append(f"{package['name']}=={package['version']}")
        elif not _OWN_SOURCES & set(source):
            others.append(package["name"])
    return pins, others


def _last_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "no output")[:200]


def judge_pip_audit(
    stdout: str, stderr: str, exceptions: Sequence[AdvisoryException]
) -> CheckResult:
    """pip-audit's JSON report (or its failure), each vulnerability matched against the
    justified ones. Its source not answering is ``unchecked``; any other failure fails."""
    try:
        report: Mapping[str, Any] = json.loads(stdout)
        dependencies: list[Mapping[str, Any]] = report["dependencies"]
    except (json.JSONDecodeError, KeyError, TypeError):
        if any(marker in stderr for marker in _UNREACHABLE):
            return CheckResult(CHECK, unchecked=f"no answer: {_last_error_line(stderr)}")
        return CheckResult(CHECK, (Finding("error", "pip-audit", _last_error_line(stderr)),))
    skipped = [d for d in dependencies if "skip_reason" in d]
    if dependencies and len(skipped) == len(dependencies):
        # pip-audit calls this a success; it looked at nothing.
        return CheckResult(
            CHECK,
            unchecked=f"the feed knew none of the {len(dependencies)} locked packages, "
            f"e.g. {skipped[0]['skip_reason']}",
        )
    findings, used = [], set()
    for dependency in dependencies:
        for vuln in dependency.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            exception = next((e for e in exceptions if e.matches(ids, dependency["name"])), None)
            if exception is not None:
                used.add(exception)
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
            findings.append(
                Finding(
                    key=vuln["id"],
                    where=f"{dependency['name']}=={dependency['version']}",
                    summary=f"fixed in {fixed}: {vuln.get('description', '')[:200]}",
                    justification=exception.reason if exception else None,
                )
            )
    notes = [f"not checked: {d['name']} ({d['skip_reason']})" for d in skipped]
    if not skipped:
        notes += [
            f"exception {e.id} for {e.package} matched nothing: remove it"
            for e in exceptions
            if e not in used
        ]
    return CheckResult(CHECK, tuple(findings), notes=tuple(notes))


def run_pip_audit(repo: Path, exceptions: Sequence[AdvisoryException]) -> CheckResult:
    """Audit uv.lock's pins against PyPI's vulnerability feed."""
    pins, others = locked_requirements((repo / "uv.lock").read_text())
    with tempfile.TemporaryDirectory(prefix="barito-audit-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("\n".join(pins) + "\n")
        try:
            # pip-audit's own argv: the pins come from our lock file, and no shell.
            done = subprocess.run(
                [sys.executable, "-m", "pip_audit", "-r", str(requirements), "--no-deps",
                 "--disable-pip", "--progress-spinner", "off", "--format", "json",
                 "--desc", "on", "--aliases", "on", "--timeout", "15"],
                capture_output=True, text=True, check=False, timeout=_TIMEOUT_S,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return CheckResult(CHECK, unchecked=f"pip-audit did not finish in {_TIMEOUT_S} s")
    result = judge_pip_audit(done.stdout, done.stderr, exceptions)
    extra = tuple(f"not checked: {name} (not from a registry)" for name in others)
    return CheckResult(result.check, result.findings, result.unchecked, result.notes + extra)
