"""`barito audit [bandit|python|npm]...`: the audits, their verdicts, one exit code."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import click

from barito_cli.audit.bandit_check import run_bandit
from barito_cli.audit.exceptions import AuditExceptions, ExceptionsFileError, load_exceptions
from barito_cli.audit.npm_packages import run_npm_audit
from barito_cli.audit.outcome import CheckResult
from barito_cli.audit.python_packages import run_pip_audit
from barito_cli.stack.config import find_repo_root

__all__ = ["EXCEPTIONS_FILE", "audit_command"]

EXCEPTIONS_FILE = Path("security/audit-exceptions.toml")

_CHECKS: dict[str, Callable[[Path, AuditExceptions], CheckResult]] = {
    "bandit": lambda repo, exceptions: run_bandit(repo, exceptions.bandit),
    "python": lambda repo, exceptions: run_pip_audit(repo, exceptions.python),
    "npm": lambda repo, exceptions: run_npm_audit(repo, exceptions.npm),
}


def _report(result: CheckResult, seconds: float, verbose: bool) -> None:
    colour = "red" if result.failed else "yellow" if result.unchecked else "green"
    click.secho(f"{result.check:<7} {seconds:5.1f}s  {result.headline()}", fg=colour)
    for finding in result.findings:
        if verbose or not finding.justified:
            mark = "justified" if finding.justified else "FINDING"
            click.echo(f"  {mark} {finding.key} {finding.where}: {finding.summary}")
    for note in result.notes:
        click.echo(f"  note: {note}")


@click.command("audit")
@click.argument("checks", nargs=-1, type=click.Choice(list(_CHECKS)))
@click.option("-v", "--verbose", is_flag=True, help="Also list the justified findings.")
def audit_command(checks: tuple[str, ...], verbose: bool) -> None:
    """Bandit over the code, pip-audit over uv.lock, npm audit over the SPA.

    Fails on a finding not justified in security/audit-exceptions.toml. A check
    whose vulnerability source does not answer (offline) says so and passes.
    """
    repo = find_repo_root()
    try:
        exceptions = load_exceptions(repo / EXCEPTIONS_FILE)
    except ExceptionsFileError as err:
        raise click.ClickException(str(err)) from err
    failed = []
    for name in checks or tuple(_CHECKS):
        started = time.monotonic()
        result = _CHECKS[name](repo, exceptions)
        _report(result, time.monotonic() - started, verbose)
        if result.failed:
            failed.append(name)
    if failed:
        raise click.ClickException(
            f"audit failed ({', '.join(failed)}): fix each FINDING, or justify it in "
            f"{EXCEPTIONS_FILE}"
        )
