"""Building the Go programs under ``tools/`` from the Go module proxy, cached.

Each tool is its own Go module (``tools/<name>/go.mod``). The binary is cached
under ``<cache>/tools/<name>-<digest>``, the digest covering the module's
go.mod, go.sum and Go sources, so an edit rebuilds it and nothing else does.
Go's own build and module caches make a rebuild after an edit quick.

Example::

    checker = go_tool(config, "nomad-jobcheck")          # path of the binary
    etcd = go_tool(config, "kube-apiserver", package="go.etcd.io/etcd/server/v3", binary="etcd")
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from barito_cli.stack.config import StackConfig, StackError

__all__ = ["go_tool", "go_tool_path"]


def _go() -> str:
    found = shutil.which("go") or next(
        (str(p) for p in (Path("/usr/local/go/bin/go"), Path("/usr/lib/go/bin/go")) if p.exists()),
        None,
    )
    if found is None:
        raise StackError(
            "building the tools under tools/ needs Go 1.26 or newer: install it "
            "(https://go.dev/doc/install, or apt-get install golang-go where new enough)"
        )
    return found


def _digest(source: Path, package: str) -> str:
    digest = hashlib.sha256(package.encode())
    for path in sorted([*source.glob("go.*"), *source.glob("*.go")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def go_tool_path(
    config: StackConfig, name: str, *, package: str = ".", binary: str | None = None
) -> Path:
    """Where the binary of ``tools/<name>`` is cached (it may not be built yet)."""
    source = config.repo / "tools" / name
    if not (source / "go.mod").is_file():
        raise StackError(f"{source}/go.mod is missing")
    return config.cache_dir / "tools" / f"{binary or name}-{_digest(source, package)}"


def go_tool(
    config: StackConfig,
    name: str,
    *,
    package: str = ".",
    binary: str | None = None,
    echo: Callable[[str], None] = lambda _: None,
) -> Path:
    """The binary of ``tools/<name>`` (built from ``package``), built first if not cached.

    ``binary`` names the file when the module builds several programs.
    """
    target = go_tool_path(config, name, package=package, binary=binary)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    echo(f"{binary or name}: building with Go, once (cached at {target})")
    started = time.monotonic()
    result = subprocess.run(
        [_go(), "build", "-trimpath", "-o", str(partial), package],
        cwd=config.repo / "tools" / name,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise StackError(f"building tools/{name} failed:\n{result.stderr[-4000:]}")
    # Renamed into place only when complete, so a cut-off build is never used.
    partial.chmod(0o755)
    os.replace(partial, target)
    echo(f"{binary or name}: built in {time.monotonic() - started:.0f}s")
    return target
