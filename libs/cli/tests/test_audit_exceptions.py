"""security/audit-exceptions.toml: what it accepts, what it refuses, how entries match."""

from __future__ import annotations

from pathlib import Path

import pytest

from barito_cli.audit.commands import EXCEPTIONS_FILE
from barito_cli.audit.exceptions import (
    AuditExceptions,
    ExceptionsFileError,
    load_exceptions,
    parse_exceptions,
)

REPO = Path(__file__).resolve().parents[3]

VALID = """
[[bandit]]
test = "B603"
paths = ["libs/cli/src/*"]
reason = "argv lists, no shell"

[[python]]
id = "GHSA-aaaa-bbbb-cccc"
package = "Some_Package"
reason = "we never call the affected function"

[[npm]]
id = "GHSA-dddd-eeee-ffff"
package = "vite"
reason = "dev server only, never served"
"""


def test_each_table_is_read_with_its_reason() -> None:
    exceptions = parse_exceptions(VALID)
    assert [e.test for e in exceptions.bandit] == ["B603"]
    assert exceptions.python[0].reason == "we never call the affected function"
    assert exceptions.npm[0].package == "vite"


def test_a_path_glob_crosses_folders_and_matches_only_its_test() -> None:
    (exception,) = parse_exceptions(VALID).bandit
    assert exception.matches("B603", "libs/cli/src/barito_cli/stack/engines.py")
    assert not exception.matches("B603", "services/market/src/barito_market/main.py")
    assert not exception.matches("B608", "libs/cli/src/barito_cli/stack/engines.py")


def test_an_advisory_matches_by_any_id_and_normalised_package_name() -> None:
    (exception,) = parse_exceptions(VALID).python
    assert exception.matches({"PYSEC-2026-1", "GHSA-aaaa-bbbb-cccc"}, "some-package")
    assert not exception.matches({"GHSA-aaaa-bbbb-cccc"}, "other-package")
    assert not exception.matches({"PYSEC-2026-1"}, "some-package")


@pytest.mark.parametrize(
    "text",
    [
        '[[python]]\nid = "X"\npackage = "p"\n',  # no reason
        '[[python]]\nid = "X"\npackage = "p"\nreason = "  "\n',  # an empty one
        '[[python]]\nid = "X"\npackage = "p"\nreason = "r"\nexpires = "soon"\n',  # a typo'd key
        '[[bandit]]\ntest = "B101"\npaths = []\nreason = "r"\n',  # no path at all
        '[[bandit]]\ntest = "B101"\npaths = [1]\nreason = "r"\n',
        '[[pip]]\nid = "X"\npackage = "p"\nreason = "r"\n',  # an unknown table
        "[[python]\n",  # not TOML
    ],
)
def test_an_entry_that_could_justify_nothing_or_anything_is_refused(text: str) -> None:
    with pytest.raises(ExceptionsFileError):
        parse_exceptions(text)


def test_no_file_means_no_exceptions(tmp_path: Path) -> None:
    assert load_exceptions(tmp_path / "absent.toml") == AuditExceptions()


def test_the_error_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "exceptions.toml"
    broken.write_text('[[npm]]\nid = "X"\n')
    with pytest.raises(ExceptionsFileError, match=str(broken)):
        load_exceptions(broken)


def test_the_repositorys_own_exceptions_file_is_valid() -> None:
    exceptions = load_exceptions(REPO / EXCEPTIONS_FILE)
    assert exceptions.bandit, "the file was not found or is empty"
