"""``stack up --fresh`` forgets an engine's last run; a plain ``stack up`` keeps it.

Postgres stands in for every engine (all forget the same way, by their home):
it is the one whose restart takes seconds, on a port of its own and a state
folder of its own, so the shared stack is not touched.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from barito_cli.stack.config import StackConfig, load_config
from barito_cli.stack.engines import engine_for
from barito_cli.stack.manager import stack_down, stack_up
from barito_testing.ports import free_port
from barito_testing.stack import REPO

# It starts a Postgres of its own: no stack-free run.
pytestmark = pytest.mark.stack


@pytest.fixture
def private_postgres() -> Iterator[StackConfig]:
    shared = load_config(REPO)
    shared.state_dir.parent.mkdir(parents=True, exist_ok=True)
    # Under /var/tmp/barito, not pytest's tmp_path: Postgres runs as nobody
    # when root starts it, and nobody cannot enter root's private temp folders.
    state = Path(tempfile.mkdtemp(prefix="fresh-test-", dir=shared.state_dir.parent))
    state.chmod(0o755)
    engines = {**shared.engines, "postgres": {**shared.engines["postgres"], "port": free_port()}}
    config = dataclasses.replace(shared, state_dir=state, engines=engines)
    try:
        yield config
    finally:
        stack_down(config, ["postgres"], echo=lambda _line: None)
        shutil.rmtree(state, ignore_errors=True)


def _psql(config: StackConfig, sql: str) -> str:
    engine = engine_for("postgres", config)
    psql = shutil.which("psql") or "psql"
    result = subprocess.run(
        [psql, engine.url, "-tAc", sql], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def _has_table(config: StackConfig, table: str) -> bool:
    return _psql(config, f"SELECT to_regclass('{table}') IS NOT NULL") == "t"


def _up(config: StackConfig, *, fresh: bool = False) -> None:
    stack_up(config, ["postgres"], echo=lambda _line: None, timeout_s=120, fresh=fresh)


def _restart(config: StackConfig, *, fresh: bool) -> None:
    stack_down(config, ["postgres"], echo=lambda _line: None)
    _up(config, fresh=fresh)


def test_a_plain_start_keeps_the_data_and_a_fresh_one_forgets_it(
    private_postgres: StackConfig,
) -> None:
    config = private_postgres
    _up(config)
    _psql(config, "CREATE TABLE left_by_last_run (id int)")

    _restart(config, fresh=False)
    assert _has_table(config, "left_by_last_run")

    _restart(config, fresh=True)
    assert not _has_table(config, "left_by_last_run")


def test_fresh_leaves_a_running_engine_and_its_data_alone(
    private_postgres: StackConfig,
) -> None:
    config = private_postgres
    _up(config)
    _psql(config, "CREATE TABLE still_in_use (id int)")

    _up(config, fresh=True)
    assert _has_table(config, "still_in_use")
