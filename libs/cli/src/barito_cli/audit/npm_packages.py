"""npm audit over the SPA's package-lock.json, dev dependencies included.

The dev tree (vite, vitest, jsdom, openapi-typescript) never reaches a browser,
but it runs on every developer's machine and in CI with their credentials, so
its advisories are read too; one that cannot matter is justified, not hidden.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from barito_cli.audit.exceptions import AdvisoryException
from barito_cli.audit.outcome import CheckResult, Finding

__all__ = ["advisory_ids", "judge_npm_audit", "run_npm_audit"]

CHECK = "npm"
WEB = Path("services/market/web")
# npm's words when the registry's advisory endpoint did not answer (refused,
# unresolved, timed out, or an HTTP error such as a mirror without the endpoint).
_UNREACHABLE = "audit endpoint returned an error"
_TIMEOUT_S = 180


def advisory_ids(advisory: Mapping[str, Any]) -> set[str]:
    """An advisory's GHSA id (the last part of its URL) and npm's numeric id."""
    ids = {str(advisory.get("source", ""))}
    url = str(advisory.get("url", ""))
    if "/advisories/" in url:
        ids.add(url.rsplit("/", 1)[-1])
    return ids - {""}


def judge_npm_audit(
    stdout: str, stderr: str, exceptions: Sequence[AdvisoryException]
) -> CheckResult:
    """npm audit's JSON report (or its failure), each advisory matched against the
    justified ones. The endpoint not answering is ``unchecked``; any other failure fails."""
    try:
        report: Mapping[str, Any] = json.loads(stdout)
    except json.JSONDecodeError:
        report = {}
    if "vulnerabilities" not in report:
        message = str(report.get("message") or stderr.strip()[-200:] or "no output")[:200]
        if _UNREACHABLE in stderr:
            return CheckResult(CHECK, unchecked=f"no answer: {message}")
        return CheckResult(CHECK, (Finding("error", "npm audit", message),))
    findings, used = [], set()
    for package in report["vulnerabilities"].values():
        # A string in `via` names another vulnerable package: its own entry reports it.
        for advisory in (via for via in package.get("via", []) if isinstance(via, dict)):
            ids = advisory_ids(advisory)
            exception = next((e for e in exceptions if e.matches(ids, advisory["name"])), None)
            if exception is not None:
                used.add(exception)
            findings.append(
                Finding(
                    key=min(ids, key=lambda i: (not i.startswith("GHSA-"), i), default="?"),
                    where=f"{advisory['name']} {advisory.get('range', '')}".strip(),
                    summary=f"{advisory.get('severity', '?')}: {advisory.get('title', '')}",
                    justification=exception.reason if exception else None,
                )
            )
    notes = tuple(
        f"exception {e.id} for {e.package} matched nothing: remove it"
        for e in exceptions
        if e not in used
    )
    return CheckResult(CHECK, tuple(findings), notes=notes)


def run_npm_audit(repo: Path, exceptions: Sequence[AdvisoryException]) -> CheckResult:
    """Ask the npm registry about every package in the SPA's lock file (no node_modules needed)."""
    npm = shutil.which("npm")
    if npm is None:
        return CheckResult(CHECK, (Finding("error", "npm", "npm is not installed"),))
    try:
        # One try, bounded: offline, npm's default retries take minutes to give up.
        done = subprocess.run(
            [npm, "audit", "--json", "--fetch-retries=0", "--fetch-timeout=30000"],
            cwd=repo / WEB, capture_output=True, text=True, check=False, timeout=_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return CheckResult(CHECK, unchecked=f"npm audit did not finish in {_TIMEOUT_S} s")
    return judge_npm_audit(done.stdout, done.stderr, exceptions)
