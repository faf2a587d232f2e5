"""How each audit's output becomes a verdict, from recorded tool output, without a network.

A source that does not answer makes a check ``unchecked`` (said, not failed);
an unjustified finding or any other tool failure fails it.
"""

from __future__ import annotations

import json
from typing import Any

from barito_cli.audit.bandit_check import judge_bandit
from barito_cli.audit.exceptions import AdvisoryException, CodeException
from barito_cli.audit.npm_packages import judge_npm_audit
from barito_cli.audit.python_packages import judge_pip_audit, locked_requirements

# --- pip-audit ---------------------------------------------------------------------------

PIP_CONNECTION_TRACEBACK = """Traceback (most recent call last):
  File ".../requests/adapters.py", line 696, in send
requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): Max \
retries exceeded (Caused by NameResolutionError("Failed to resolve 'pypi.org'"))
"""


def pip_report(*dependencies: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def vulnerable(name: str, version: str, vuln_id: str, *aliases: str) -> dict[str, Any]:
    vuln = {"id": vuln_id, "fix_versions": ["9.9"], "aliases": list(aliases), "description": "d"}
    return {"name": name, "version": version, "vulns": [vuln]}


def test_pip_audit_that_could_not_connect_is_unchecked_not_failed() -> None:
    result = judge_pip_audit("", PIP_CONNECTION_TRACEBACK, [])
    assert result.unchecked is not None and "ConnectionError" in result.unchecked
    assert not result.failed


def test_pip_audit_whose_feed_knew_no_package_is_unchecked_though_it_exits_clean() -> None:
    skipped = [{"name": n, "skip_reason": f"Dependency not found on PyPI: {n}"} for n in "ab"]
    result = judge_pip_audit(pip_report(*skipped), "", [])
    assert result.unchecked is not None and "none of the 2" in result.unchecked
    assert not result.failed


def test_pip_audit_failing_for_another_reason_fails_the_run() -> None:
    result = judge_pip_audit("", "ERROR: invalid requirement: 'x=='", [])
    assert result.failed and result.unchecked is None


def test_an_unjustified_vulnerability_fails_and_a_justified_one_by_alias_does_not() -> None:
    report = pip_report(
        vulnerable("aiohttp", "3.14.5", "PYSEC-2026-7", "GHSA-1111-2222-3333"),
        vulnerable("jinja2", "3.1.0", "GHSA-4444-5555-6666"),
    )
    justified = AdvisoryException("GHSA-1111-2222-3333", "aiohttp", "client only, no server")
    result = judge_pip_audit(report, "", [justified])
    assert [(f.key, f.justified) for f in result.findings] == [
        ("PYSEC-2026-7", True),
        ("GHSA-4444-5555-6666", False),
    ]
    assert result.failed
    assert result.unjustified[0].where == "jinja2==3.1.0"


def test_a_few_skipped_packages_are_noted_and_the_rest_still_judged() -> None:
    report = pip_report(
        {"name": "ours", "skip_reason": "Dependency not found on PyPI"},
        {"name": "httpx", "version": "0.28.1", "vulns": []},
    )
    result = judge_pip_audit(report, "", [AdvisoryException("X", "httpx", "r")])
    assert result.unchecked is None and not result.failed
    # Whether X still applies is unknown while a package went unchecked: no stale note.
    assert result.notes == ("not checked: ours (Dependency not found on PyPI)",)


def test_an_exception_that_matched_nothing_is_noted_for_removal() -> None:
    report = pip_report({"name": "httpx", "version": "0.28.1", "vulns": []})
    result = judge_pip_audit(report, "", [AdvisoryException("GHSA-old", "httpx", "r")])
    assert not result.failed
    assert result.notes == ("exception GHSA-old for httpx matched nothing: remove it",)


def test_the_locked_packages_are_the_registry_pins_without_our_own_members() -> None:
    lock = """
version = 1
[[package]]
name = "barito-cli"
version = "0.1.0"
source = { editable = "libs/cli" }

[[package]]
name = "barito"
version = "0.1.0"
source = { virtual = "." }

[[package]]
name = "httpx"
version = "0.28.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "forked"
version = "1.0"
source = { git = "https://example.invalid/forked?rev=abc" }
"""
    assert locked_requirements(lock) == (["httpx==0.28.1"], ["forked"])


# --- npm audit ---------------------------------------------------------------------------

NPM_UNREACHABLE_STDERR = (
    "npm warn audit request to https://registry.npmjs.org/-/npm/v1/security/advisories/bulk "
    "failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org\n"
    "npm error audit endpoint returned an error\n"
)


def npm_report(vulnerabilities: dict[str, Any]) -> str:
    return json.dumps({"auditReportVersion": 2, "vulnerabilities": vulnerabilities})


def advisory(name: str, ghsa: str, severity: str = "moderate") -> dict[str, Any]:
    return {
        "source": 1100000,
        "name": name,
        "dependency": name,
        "title": f"a flaw in {name}",
        "url": f"https://github.com/advisories/{ghsa}",
        "severity": severity,
        "range": "<5.4.22",
    }


def test_npm_audit_whose_endpoint_did_not_answer_is_unchecked_not_failed() -> None:
    stdout = json.dumps({"message": "request failed, reason: getaddrinfo EAI_AGAIN"})
    result = judge_npm_audit(stdout, NPM_UNREACHABLE_STDERR, [])
    assert result.unchecked is not None and "EAI_AGAIN" in result.unchecked
    assert not result.failed


def test_npm_audit_refused_by_the_endpoint_is_unchecked() -> None:
    stdout = json.dumps({"message": "405 Method Not Allowed - POST https://…/bulk"})
    assert judge_npm_audit(stdout, "npm error audit endpoint returned an error", []).unchecked


def test_npm_audit_without_a_lock_file_fails_the_run() -> None:
    stdout = json.dumps({"error": {"code": "ENOLOCK", "summary": "This command requires a lock"}})
    result = judge_npm_audit(stdout, "npm error code ENOLOCK", [])
    assert result.failed and result.unchecked is None


def test_npm_advisories_are_judged_by_ghsa_id_and_package() -> None:
    report = npm_report(
        {
            "vite": {"name": "vite", "via": [advisory("vite", "GHSA-aaaa-bbbb-cccc")]},
            "vitest": {"name": "vitest", "via": ["vite"]},  # only through vite: one finding
            "react-router": {
                "name": "react-router",
                "via": [advisory("react-router", "GHSA-dddd-eeee-ffff", "high")],
            },
        }
    )
    dev_only = AdvisoryException("GHSA-aaaa-bbbb-cccc", "vite", "dev server, never served")
    result = judge_npm_audit(report, "", [dev_only])
    assert [(f.key, f.justified) for f in result.findings] == [
        ("GHSA-aaaa-bbbb-cccc", True),
        ("GHSA-dddd-eeee-ffff", False),
    ]
    assert result.unjustified[0].summary == "high: a flaw in react-router"


def test_a_clean_npm_report_passes() -> None:
    result = judge_npm_audit(npm_report({}), "", [])
    assert not result.failed and result.unchecked is None and result.findings == ()


# --- bandit ------------------------------------------------------------------------------


def bandit_result(test: str, path: str) -> dict[str, Any]:
    return {
        "test_id": test,
        "filename": path,
        "line_number": 7,
        "issue_text": "subprocess call",
        "issue_severity": "LOW",
    }


def test_bandit_findings_fail_unless_justified_for_their_test_and_path() -> None:
    exceptions = [CodeException("B603", ("libs/cli/src/*",), "argv lists")]
    report = {
        "results": [
            bandit_result("B603", "libs/cli/src/barito_cli/stack/engines.py"),
            bandit_result("B603", "services/market/src/barito_market/main.py"),
        ],
        "errors": [],
    }
    result = judge_bandit(report, exceptions)
    assert [f.justified for f in result.findings] == [True, False]
    assert result.unjustified[0].where == "services/market/src/barito_market/main.py:7"


def test_a_file_bandit_could_not_parse_fails_the_run() -> None:
    report = {"results": [], "errors": [{"filename": "a.py", "reason": "syntax error"}]}
    assert judge_bandit(report, []).failed


def test_a_bandit_exception_that_matched_nothing_is_noted() -> None:
    result = judge_bandit({"results": []}, [CodeException("B108", ("x.py",), "r")])
    assert not result.failed
    assert result.notes == ("exception B108 for x.py matched nothing: remove it",)
