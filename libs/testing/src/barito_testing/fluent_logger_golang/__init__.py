"""fluent-logger-golang, unmodified, in a small program tests run (see ``main.go``).

The library is Debian's source (``golang-github-fluent-fluent-logger-golang-dev``
installs it, with its dependencies tinylib/msgp and philhofer/fwd, under
``/usr/share/gocode``), which has no go.mod: the program is built in GOPATH
mode against that tree, with no network. The binary is cached under the
stack's cache folder, keyed by the digest of the program and the library.

    binary = fluent_logger_golang(stack.config.cache_dir)
    subprocess.run([binary, "-port", "24224", "-tag", f"{secret}.web", "-count", "10"])
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["GOCODE", "fluent_logger_golang"]

GOCODE = Path("/usr/share/gocode")
LIBRARY = GOCODE / "src/github.com/fluent/fluent-logger-golang"
_PROGRAM = Path(__file__).with_name("main.go")


def _go() -> str:
    found = shutil.which("go") or next(
        (p for p in ("/usr/local/go/bin/go", "/usr/lib/go/bin/go") if Path(p).exists()), None
    )
    if found is None:
        raise RuntimeError("building the fluent-logger-golang program needs Go")
    return found


def _digest() -> str:
    digest = hashlib.sha256(_PROGRAM.read_bytes())
    for path in sorted(LIBRARY.rglob("*.go")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def fluent_logger_golang(cache_dir: Path) -> Path:
    """The program's binary, built first if not cached."""
    if not LIBRARY.is_dir():
        raise RuntimeError(
            f"{LIBRARY} is missing: apt-get install golang-github-fluent-fluent-logger-golang-dev"
        )
    target = cache_dir / "tools" / f"fluent-logger-golang-sender-{_digest()}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fluent-sender-") as gopath:
        source = Path(gopath) / "src" / "sender"
        source.mkdir(parents=True)
        shutil.copy(_PROGRAM, source / "main.go")
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        env = {
            **os.environ,
            "GO111MODULE": "off",
            "GOPATH": f"{gopath}{os.pathsep}{GOCODE}",
            "GOFLAGS": "",
            "GOTOOLCHAIN": "local",
        }
        result = subprocess.run(
            [_go(), "build", "-o", str(partial), "."],
            cwd=source,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise RuntimeError(
                f"building the fluent-logger-golang program failed:\n{result.stderr}"
            )
        os.replace(partial, target)
    return target
