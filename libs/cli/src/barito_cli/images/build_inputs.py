"""What a build step would download, prepared on the host instead.

A fresh root filesystem does not trust this machine's TLS interception, so a
``RUN`` step cannot reach a package index; the host can. Here the host fills
the caches the builder bases carry: uv's cache from ``uv.lock`` (every
workspace package, no dev group, plus the hatchling build backend the
workspace members are built with), the wheel of the uv version the
Dockerfiles pin, and npm's cache from the web UI's ``package-lock.json``.
Each folder is named for a digest of its inputs and made once.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from barito_cli.stack.config import StackConfig, StackError

__all__ = ["npm_context", "pinned_uv_version", "python_build_context"]

WEB = Path("services/market/web")


def pinned_uv_version(repo: Path) -> str:
    """The uv the service Dockerfiles install (`pip install uv==X`)."""
    text = (repo / "services" / "receiver" / "Dockerfile").read_text()
    found = re.search(r"uv==([0-9][0-9.]*)", text)
    if found is None:
        raise StackError("services/receiver/Dockerfile pins no uv version (uv==X)")
    return found.group(1)


def _uv() -> list[str]:
    """The uv running this command (`uv run` says where), else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def _run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(args, cwd=cwd, env={**os.environ, **(env or {})}, check=False)
    if result.returncode != 0:
        raise StackError(f"{' '.join(args[:3])} failed (exit {result.returncode})")


def _make_once(folder: Path, fill: Callable[[Path], None]) -> Path:
    """``folder`` filled by ``fill`` in a temporary sibling, renamed when complete."""
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        fill(partial)
        partial.rename(folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    # The caches of an older lock file are a few hundred MB each and never used
    # again (a half-filled one of a concurrent run has a dot in its name).
    kind = folder.name.rsplit("-", 1)[0]
    for stale in folder.parent.glob(f"{kind}-*"):
        if stale != folder and "." not in stale.name and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    return folder


def python_build_context(config: StackConfig) -> tuple[Path, str]:
    """The context of barito-local/python-build (uv-cache/, wheels/) and its digest."""
    repo = config.repo
    uv_version = pinned_uv_version(repo)
    digest = _digest((repo / "uv.lock").read_bytes(), uv_version.encode())

    def fill(into: Path) -> None:
        venv = into / "venv"
        # The same sync the images do, for every package at once: uv keeps each
        # wheel (and the build backend's) in the cache under its locked URL.
        _run(
            [*_uv(), "sync", "--frozen", "--no-dev", "--all-packages"],
            cwd=repo,
            env={"UV_CACHE_DIR": str(into / "uv-cache"), "UV_PROJECT_ENVIRONMENT": str(venv)},
        )
        shutil.rmtree(venv)
        # pip, run by uv, fetches the uv wheel the Dockerfiles' `pip install` wants.
        _run(
            [
                *_uv(),
                "tool",
                "run",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(into / "wheels"),
                f"uv=={uv_version}",
            ],
            cwd=into,
        )

    folder = _make_once(config.cache_dir / "images" / f"python-build-{digest}", fill)
    return folder, digest


def npm_context(config: StackConfig) -> tuple[Path, str]:
    """The context of barito-local/node (npm-cache/) and its digest."""
    web = config.repo / WEB
    lock = (web / "package-lock.json").read_bytes()
    digest = _digest(lock, (web / "package.json").read_bytes())

    def fill(into: Path) -> None:
        project = into / "project"
        project.mkdir()
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(web / name, project / name)
        # npm ci fills the cache with every tarball the lock names; no install
        # script is needed for that.
        _run(
            [
                "npm",
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--cache",
                str(into / "npm-cache"),
            ],
            cwd=project,
        )
        shutil.rmtree(project)

    folder = _make_once(config.cache_dir / "images" / f"node-{digest}", fill)
    return folder, digest
