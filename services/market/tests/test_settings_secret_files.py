"""The market's secrets (database URL, search password) read from mounted files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from barito_common.search.adapter import SearchAdapter
from barito_market.db import database_url
from barito_market.settings import MarketSettings

DATABASE_PASSWORD = "db-password-from-a-file"
DATABASE_URL = f"postgresql+asyncpg://barito:{DATABASE_PASSWORD}@postgres:5432/barito"
SEARCH_PASSWORD = "search-password-from-a-file"


@pytest.fixture(autouse=True)
def _no_barito_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.upper().startswith("BARITO_")]:
        monkeypatch.delenv(name)


def test_database_url_and_search_password_are_read_from_files_and_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As `kubectl create secret generic --from-file` mounts them: one trailing newline.
    (tmp_path / "database-url").write_text(f"{DATABASE_URL}\n")
    (tmp_path / "search-password").write_text(f"{SEARCH_PASSWORD}\n")
    monkeypatch.setenv("BARITO_DATABASE__URL_FILE", str(tmp_path / "database-url"))
    monkeypatch.setenv("BARITO_SEARCH__USERNAME", "elastic")
    monkeypatch.setenv("BARITO_SEARCH__PASSWORD_FILE", str(tmp_path / "search-password"))

    settings = MarketSettings()

    # What the engine and the database are given is the secret itself...
    assert database_url(settings) == DATABASE_URL
    assert SearchAdapter._basic_auth(settings.search) == ("elastic", SEARCH_PASSWORD)
    # ...and what a log line or a traceback shows is not.
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert DATABASE_PASSWORD not in shown and SEARCH_PASSWORD not in shown


def test_without_a_database_url_the_embedded_database_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BARITO_DATA_DIR", str(tmp_path))

    assert database_url(MarketSettings()).startswith("sqlite+aiosqlite:///")
