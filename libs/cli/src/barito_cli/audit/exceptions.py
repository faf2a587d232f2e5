"""The justified findings: security/audit-exceptions.toml, one entry per decision.

    [[bandit]]                       # a finding in our code
    test = "B603"                    # bandit's test id
    paths = ["libs/cli/src/barito_cli/*"]   # fnmatch globs; * crosses folders
    reason = "why it is acceptable"

    [[python]]                       # an advisory against a locked package
    id = "GHSA-xxxx-xxxx-xxxx"       # its id or any alias (PYSEC-…, CVE-…)
    package = "somepackage"
    reason = "why it does not affect us, and until when"

    [[npm]]                          # an advisory against the SPA's packages
    id = "GHSA-xxxx-xxxx-xxxx"
    package = "somepackage"
    reason = "…"

Every entry needs a reason a reviewer can check; an entry with unknown or
missing keys is an error, so that a typo cannot silently justify nothing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

__all__ = [
    "AdvisoryException",
    "AuditExceptions",
    "CodeException",
    "ExceptionsFileError",
    "load_exceptions",
    "parse_exceptions",
]


class ExceptionsFileError(ValueError):
    """The exceptions file cannot be read as the format above."""


def _package_key(name: str) -> str:
    # PEP 503's normalisation; harmless for npm names, which are lower case.
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class CodeException:
    """Bandit's ``test`` accepted in the files that match one of ``paths``."""

    test: str
    paths: tuple[str, ...]
    reason: str

    def matches(self, test: str, path: str) -> bool:
        return test == self.test and any(fnmatchcase(path, glob) for glob in self.paths)


@dataclass(frozen=True)
class AdvisoryException:
    """One advisory accepted for one package."""

    id: str
    package: str
    reason: str

    def matches(self, ids: Iterable[str], package: str) -> bool:
        return self.id in ids and _package_key(package) == _package_key(self.package)


@dataclass(frozen=True)
class AuditExceptions:
    bandit: tuple[CodeException, ...] = ()
    python: tuple[AdvisoryException, ...] = ()
    npm: tuple[AdvisoryException, ...] = ()


def _entries(document: Mapping[str, Any], table: str) -> list[Mapping[str, Any]]:
    entries = document.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ExceptionsFileError(f"[[{table}]] must be an array of tables")
    return entries


def _fields(entry: Mapping[str, Any], table: str, wanted: dict[str, type]) -> dict[str, Any]:
    if set(entry) != set(wanted):
        raise ExceptionsFileError(
            f"a [[{table}]] entry has keys {sorted(entry)}; it needs exactly {sorted(wanted)}"
        )
    for key, kind in wanted.items():
        if not isinstance(entry[key], kind) or not entry[key]:
            raise ExceptionsFileError(
                f"[[{table}]] {key} must be a non-empty {kind.__name__}: {entry!r}"
            )
    if not entry["reason"].strip():
        raise ExceptionsFileError(f"[[{table}]] needs a reason: {entry!r}")
    return dict(entry)


def parse_exceptions(text: str) -> AuditExceptions:
    """The exceptions in ``text``; ExceptionsFileError when it is not the format above."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ExceptionsFileError(f"not TOML: {err}") from err
    unknown = set(document) - {"bandit", "python", "npm"}
    if unknown:
        raise ExceptionsFileError(f"unknown tables {sorted(unknown)}: bandit, python, npm only")
    bandit = []
    for entry in _entries(document, "bandit"):
        fields = _fields(entry, "bandit", {"test": str, "paths": list, "reason": str})
        if not all(isinstance(p, str) and p for p in fields["paths"]):
            raise ExceptionsFileError(f"[[bandit]] paths must be strings: {entry!r}")
        bandit.append(CodeException(fields["test"], tuple(fields["paths"]), fields["reason"]))
    advisories: dict[str, list[AdvisoryException]] = {}
    for table in ("python", "npm"):
        advisories[table] = [
            AdvisoryException(**_fields(entry, table, {"id": str, "package": str, "reason": str}))
            for entry in _entries(document, table)
        ]
    return AuditExceptions(tuple(bandit), tuple(advisories["python"]), tuple(advisories["npm"]))


def load_exceptions(path: Path) -> AuditExceptions:
    """The exceptions file at ``path``; none at all when there is no such file."""
    if not path.is_file():
        return AuditExceptions()
    try:
        return parse_exceptions(path.read_text())
    except ExceptionsFileError as err:
        raise ExceptionsFileError(f"{path}: {err}") from err
