"""Running the market's own ``barito-market-admin`` for `barito admin` and `barito up`.

The CLI does not import the market: the market's operator commands are its
entry point, run here as a child process. The local stack's addresses are
passed as its arguments, except for a setting the ``BARITO_`` environment
already gives (which the child inherits), so the environment wins; the
stack's settings no option names (the secured stack's ``..._FILE`` secrets,
its TLS settings) reach the child through its environment, under the same rule::

    stack = service_environment(load_config(), "market")   # barito_cli.suite
    out = run_market_admin(["republish"], stack)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["MARKET_ADMIN", "MarketAdminError", "market_admin_arguments", "run_market_admin"]

MARKET_ADMIN = "barito-market-admin"

# The market's settings the local stack decides, and the option that sets each.
_OPTIONS = {
    "BARITO_DATABASE__URL": "--database-url",
    "BARITO_KAFKA__BOOTSTRAP_SERVERS": "--kafka-bootstrap-servers",
    "BARITO_DATA_DIR": "--data-dir",
}


class MarketAdminError(RuntimeError):
    """barito-market-admin refused or could not run; the message says why."""


def market_admin_arguments(stack: Mapping[str, str]) -> list[str]:
    """The stack's settings (``BARITO_`` variables) as options, where the environment has none."""
    arguments: list[str] = []
    for variable, value in stack.items():
        if variable in _OPTIONS and variable not in os.environ:
            arguments += [_OPTIONS[variable], value]
    return arguments


def _executable() -> str:
    # The one beside this interpreter first: `uv run barito` and an installed
    # virtual environment both keep their commands there.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(MARKET_ADMIN, path=path)
    if found is None:
        raise MarketAdminError(
            f"{MARKET_ADMIN} is not installed here: it comes with the market "
            "(services/market); run it where the market runs, e.g. in its container."
        )
    return found


def run_market_admin(
    command: Sequence[str], stack: Mapping[str, str], *, stdin: str | None = None
) -> str:
    """Run one barito-market-admin command; its output, or MarketAdminError with its stderr."""
    unnamed = {name: value for name, value in stack.items() if name not in _OPTIONS}
    done = subprocess.run(
        [_executable(), *market_admin_arguments(stack), *command],
        env={**unnamed, **os.environ},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.strip() or f"{MARKET_ADMIN} exited with {done.returncode}"
        raise MarketAdminError(message.removeprefix("error: "))
    return done.stdout.strip()
