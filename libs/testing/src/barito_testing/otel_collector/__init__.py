"""The OpenTelemetry Collector, built from its upstream components, for tests to run.

``main.go`` assembles the collector's own OTLP receiver, batch processor and
OTLP/HTTP exporter (``go.opentelemetry.io/collector``, versions pinned in
``go.mod`` and ``go.sum``) exactly as the project's builder (ocb) would: the
components are unmodified. The first build fetches them through the Go module
proxy and takes a minute or two; the binary is cached under the stack's cache
folder, keyed by the digest of the program and its module files.

    binary = otel_collector(stack.config.cache_dir)
    subprocess.Popen([binary, "--config", "collector.yaml"])
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["otel_collector"]

_SOURCES = [Path(__file__).with_name(name) for name in ("main.go", "go.mod", "go.sum")]
_BUILD_TIMEOUT_S = 900


def _go() -> str:
    found = shutil.which("go") or next(
        (p for p in ("/usr/local/go/bin/go", "/usr/lib/go/bin/go") if Path(p).exists()), None
    )
    if found is None:
        raise RuntimeError("building the OpenTelemetry Collector for tests needs Go")
    return found


def _digest() -> str:
    digest = hashlib.sha256()
    for source in _SOURCES:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def otel_collector(cache_dir: Path) -> Path:
    """The collector's binary, built first if not cached."""
    target = cache_dir / "tools" / f"otelcol-{_digest()}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="otelcol-") as build:
        for source in _SOURCES:
            shutil.copy(source, Path(build) / source.name)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        # go.sum pins every module, so the build fetches exactly those versions.
        env = {**os.environ, "GO111MODULE": "on", "GOFLAGS": "-mod=readonly"}
        env.setdefault("GOTOOLCHAIN", "local")
        result = subprocess.run(
            [_go(), "build", "-trimpath", "-o", str(partial), "."],
            cwd=build,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=_BUILD_TIMEOUT_S,
        )
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise RuntimeError(f"building the OpenTelemetry Collector failed:\n{result.stderr}")
        os.replace(partial, target)
    return target
