"""A check's findings and how it ended: clean, failed, or could not check."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CheckResult", "Finding"]


@dataclass(frozen=True)
class Finding:
    """One thing a tool reported, with the exception that justifies it, if any."""

    key: str
    """The tool's identifier: a bandit test id (B603) or an advisory id (GHSA-…, PYSEC-…)."""
    where: str
    """``path:line`` for the code, ``package==version`` for a dependency."""
    summary: str
    justification: str | None = None

    @property
    def justified(self) -> bool:
        return self.justification is not None


@dataclass(frozen=True)
class CheckResult:
    """How one check ended.

    ``unchecked`` says why the check could not look (its vulnerability source did
    not answer); such a check fails nothing. ``notes`` are worth reading but fail
    nothing either: packages left unchecked, exceptions that matched nothing.
    """

    check: str
    findings: tuple[Finding, ...] = ()
    unchecked: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def unjustified(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.justified)

    @property
    def failed(self) -> bool:
        return bool(self.unjustified)

    def headline(self) -> str:
        """One line: what the check concluded."""
        if self.unchecked is not None:
            return f"could not check, not failing the run: {self.unchecked}"
        justified = len(self.findings) - len(self.unjustified)
        if self.failed:
            return f"{len(self.unjustified)} unjustified finding(s), {justified} justified"
        return f"clean ({justified} justified finding(s))" if justified else "clean"
