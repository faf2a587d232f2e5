"""Where the local stack's definition, downloads and state live."""

from __future__ import annotations

import dataclasses
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["StackConfig", "StackError", "find_repo_root", "load_config"]


class StackError(RuntimeError):
    """Something the operator has to fix; the message says what."""


def find_repo_root(start: Path | None = None) -> Path:
    """The checkout that holds deploy/local: $BARITO_HOME, else the nearest parent of cwd."""
    if home := os.environ.get("BARITO_HOME"):
        return Path(home).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "deploy" / "local" / "stack.yaml").is_file():
            return candidate
    raise StackError(
        "cannot find deploy/local/stack.yaml: run barito from inside the Barito checkout "
        "or set BARITO_HOME"
    )


@dataclass(frozen=True)
class StackConfig:
    repo: Path
    cache_dir: Path
    state_dir: Path
    engines: dict[str, dict[str, Any]]

    @property
    def definition_dir(self) -> Path:
        return self.repo / "deploy" / "local"

    def engine_dir(self, name: str) -> Path:
        return self.state_dir / name

    def pid_file(self, name: str) -> Path:
        return self.state_dir / "run" / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.state_dir / "logs" / f"{name}.log"

    def secured(self) -> StackConfig:
        """The secured stack's config (``barito stack up --secure``): ports of its own,
        beside the plain stack, and state under ``<state_dir>-secure``."""
        overrides: dict[str, dict[str, Any]] = self.engines.get("secure", {})
        return dataclasses.replace(
            self,
            state_dir=self.state_dir.with_name(self.state_dir.name + "-secure"),
            engines={
                name: {**settings, **overrides.get(name, {})}
                for name, settings in self.engines.items()
                if name != "secure"
            },
        )

    @property
    def is_secure(self) -> bool:
        return self.state_dir.name.endswith("-secure")

    def java_home(self, engine: str) -> Path:
        configured = Path(self.engines[engine].get("java_home", ""))
        if configured.is_dir() and (configured / "bin" / "java").exists():
            return configured
        java = shutil.which("java")
        if java is None:
            raise StackError(
                f"{engine} needs Java 17 or newer: install a JDK (apt-get install "
                "openjdk-17-jdk-headless) or set java_home in deploy/local/stack.yaml"
            )
        return Path(java).resolve().parent.parent


def load_config(repo: Path | None = None) -> StackConfig:
    root = repo or find_repo_root()
    definition = yaml.safe_load((root / "deploy" / "local" / "stack.yaml").read_text())
    base = Path("/var/tmp/barito")
    return StackConfig(
        repo=root,
        cache_dir=Path(os.environ.get("BARITO_CACHE_DIR", base / "cache")),
        state_dir=Path(os.environ.get("BARITO_STACK_DIR", base / "stack")),
        engines=definition,
    )
