"""The few docker CLI calls the image builds need.

Builds use the classic builder (``DOCKER_BUILDKIT=0``): BuildKit fetches its
Dockerfile frontend from a registry, which a machine without one cannot reach.
They run on the host network, the only one containers get here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from barito_cli.stack.config import StackError

__all__ = ["docker", "docker_build", "image_label", "image_size"]

INPUTS_LABEL = "dev.barito.inputs"


def _docker_binary() -> str:
    found = shutil.which("docker")
    if found is None:
        raise StackError("the docker CLI is not installed (Debian: apt-get install docker.io)")
    return found


def docker(*args: str, capture: bool = False) -> str:
    """Run ``docker ARGS``; its output when ``capture``, and a StackError when it fails."""
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    result = subprocess.run(
        [_docker_binary(), *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or "").strip()[-2000:] if capture else "see the output above"
        raise StackError(f"docker {' '.join(args[:2])} failed: {detail}")
    return result.stdout or ""


def image_label(tag: str) -> str | None:
    """The inputs digest ``tag`` was built from: None when the image is missing,
    "" when it carries no digest."""
    result = subprocess.run(
        [
            _docker_binary(),
            "image",
            "inspect",
            "--format",
            f'{{{{index .Config.Labels "{INPUTS_LABEL}"}}}}',
            tag,
        ],
        text=True,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    value = result.stdout.strip()
    return "" if value == "<no value>" else value


def image_size(tag: str) -> int:
    """The image's size in bytes, as `docker images` counts it."""
    return int(docker("image", "inspect", "--format", "{{.Size}}", tag, capture=True).strip())


def docker_build(
    *,
    dockerfile: Path,
    context: Path,
    tag: str,
    build_args: dict[str, str],
    inputs: str = "",
) -> None:
    """Build ``tag``; ``inputs`` (a digest) is recorded as a label for the next skip check."""
    args = ["build", "--network", "host", "-f", str(dockerfile), "-t", tag]
    for name, value in build_args.items():
        args += ["--build-arg", f"{name}={value}"]
    if inputs:
        args += ["--label", f"{INPUTS_LABEL}={inputs}"]
    docker(*args, str(context))
