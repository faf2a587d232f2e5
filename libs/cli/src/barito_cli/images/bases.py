"""The local bases: Debian from debootstrap, and the images derived from it.

No registry serves ``python:3.11-slim`` or ``eclipse-temurin`` here, but
Debian's mirror is reachable: debootstrap makes a bookworm ``minbase`` root
filesystem once (kept as a tarball in the cache), ``docker import`` turns it
into ``barito-local/debian:bookworm``, and the Dockerfiles in
``deploy/docker/bases`` install Python, the JRE and Node over it with apt.

Every step is skipped when its result exists: the tarball, the imported
image, a derived image whose label carries the digest of its inputs.

Example::

    for tag in build_bases(load_config(), echo=print):
        ...
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from barito_cli.images.build_inputs import npm_context, python_build_context
from barito_cli.images.docker_cli import docker, docker_build, image_label
from barito_cli.stack.config import StackConfig, StackError

__all__ = [
    "DEBIAN_BASE",
    "JRE_BASE",
    "NODE_BASE",
    "PYTHON_BASE",
    "PYTHON_BUILD_BASE",
    "build_bases",
]

# The names other builds rely on (the engine images use the JRE and Debian ones).
DEBIAN_BASE = "barito-local/debian:bookworm"
PYTHON_BASE = "barito-local/python:3.11"
PYTHON_BUILD_BASE = "barito-local/python-build:3.11"
JRE_BASE = "barito-local/jre:17"
NODE_BASE = "barito-local/node:web"

SUITE = "bookworm"
BASES_DIR = Path("deploy/docker/bases")


@dataclass(frozen=True)
class DerivedBase:
    tag: str
    dockerfile: str
    # What the Dockerfile is built over: (build argument, image).
    parent: tuple[str, str]


DERIVED = (
    DerivedBase(PYTHON_BASE, "python.Dockerfile", ("DEBIAN_BASE", DEBIAN_BASE)),
    DerivedBase(JRE_BASE, "jre.Dockerfile", ("DEBIAN_BASE", DEBIAN_BASE)),
    DerivedBase(PYTHON_BUILD_BASE, "python-build.Dockerfile", ("PYTHON_BASE", PYTHON_BASE)),
    DerivedBase(NODE_BASE, "node.Dockerfile", ("DEBIAN_BASE", DEBIAN_BASE)),
)


def _rootfs_tarball(config: StackConfig, echo: Callable[[str], None]) -> Path:
    """The debootstrapped root filesystem as a tarball, made once."""
    tarball = config.cache_dir / "images" / f"debian-{SUITE}-minbase.tar"
    if tarball.is_file():
        return tarball
    if shutil.which("debootstrap") is None:
        raise StackError("making the Debian base needs debootstrap (apt-get install debootstrap)")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    echo(f"debootstrap {SUITE} (minbase): a few minutes, once")
    root = Path(tempfile.mkdtemp(prefix="rootfs.", dir=tarball.parent))
    # mkdtemp makes its folder 0700, and that folder becomes the image's "/": every
    # non-root user of every image on this base would then find nothing at all.
    root.chmod(0o755)
    partial = tarball.with_suffix(".partial")
    try:
        # The mirror apt is configured with on this machine; debootstrap's default
        # otherwise. Debian's own mirror speaks http, and apt checks signatures.
        subprocess.run(
            ["debootstrap", "--variant=minbase", SUITE, str(root), _mirror()], check=True
        )
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
        partial.rename(tarball)
    except subprocess.CalledProcessError as err:
        raise StackError(f"debootstrap of {SUITE} failed: {err}") from err
    finally:
        shutil.rmtree(root, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return tarball


def _mirror() -> str:
    """The first Debian mirror in apt's sources, else deb.debian.org."""
    for source in sorted(Path("/etc/apt").glob("sources.list*")) + sorted(
        Path("/etc/apt/sources.list.d").glob("*")
    ):
        if not source.is_file():
            continue
        for line in source.read_text().splitlines():
            words = line.replace("URIs:", "").split()
            for word in words:
                if word.startswith("http") and word.rstrip("/").endswith("/debian"):
                    return word
    return "http://deb.debian.org/debian"


def _import_debian(config: StackConfig, echo: Callable[[str], None]) -> None:
    if image_label(DEBIAN_BASE) is not None:
        return
    tarball = _rootfs_tarball(config, echo)
    echo(f"docker import {tarball.name} as {DEBIAN_BASE}")
    docker(
        "import",
        "--change",
        "ENV LANG=C.UTF-8",
        "--change",
        'CMD ["bash"]',
        str(tarball),
        DEBIAN_BASE,
    )


def _inputs_digest(config: StackConfig, base: DerivedBase, extra: str) -> str:
    dockerfile = (config.repo / BASES_DIR / base.dockerfile).read_bytes()
    return hashlib.sha256(dockerfile + extra.encode()).hexdigest()[:16]


def build_bases(
    config: StackConfig, *, echo: Callable[[str], None], names: tuple[str, ...] = ()
) -> list[str]:
    """Make the local bases (only ``names`` and what they need, when given); their tags."""
    _import_debian(config, echo)
    wanted = [b for b in DERIVED if not names or b.tag in names or b.tag in _parents(names)]
    for base in wanted:
        context, extra = _context(config, base)
        inputs = _inputs_digest(config, base, extra)
        if image_label(base.tag) == inputs:
            continue
        echo(f"building {base.tag}")
        docker_build(
            dockerfile=config.repo / BASES_DIR / base.dockerfile,
            context=context,
            tag=base.tag,
            build_args={base.parent[0]: base.parent[1]},
            inputs=inputs,
        )
    return [DEBIAN_BASE, *(b.tag for b in wanted)]


def _parents(names: tuple[str, ...]) -> set[str]:
    return {b.parent[1] for b in DERIVED if b.tag in names}


def _context(config: StackConfig, base: DerivedBase) -> tuple[Path, str]:
    """The build context and the digest of what it holds (the Dockerfile aside)."""
    if base.tag == PYTHON_BUILD_BASE:
        return python_build_context(config)
    if base.tag == NODE_BASE:
        return npm_context(config)
    # Bases that copy nothing: an empty context, so nothing is sent.
    empty = config.cache_dir / "images" / "empty-context"
    empty.mkdir(parents=True, exist_ok=True)
    return empty, ""
