"""``docker compose`` against the machine's Docker engine, for tests/test_compose_walk.py.

The Compose CLI is built from the Go module proxy (``tools/compose``, cached
like helm) and installed as the docker CLI plugin in a private DOCKER_CONFIG
under the cache, so nothing in the user's home changes::

    compose = ComposeProject("barito-walk", [COMPOSE_FILE, LOCAL_COMPOSE_OVERRIDE])
    compose.run("up", "-d", "--wait")
    compose.containers()          # `docker compose ps` of the project, as dicts
    compose.run("down", "-v")
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from barito_cli.stack.config import load_config
from tests.support.deploy import REPO, compose_binary

__all__ = [
    "ComposeProject",
    "docker",
    "docker_config",
    "engine_problem",
    "listening",
    "missing_images",
]


def docker_config() -> Path:
    """A DOCKER_CONFIG holding only cli-plugins/docker-compose (the cached build)."""
    config = load_config(REPO).cache_dir / "docker-config"
    plugin = config / "cli-plugins" / "docker-compose"
    built = compose_binary()
    # The cached binary's name carries its inputs' digest: re-link when it changed.
    if not plugin.is_symlink() or plugin.resolve() != built.resolve():
        plugin.parent.mkdir(parents=True, exist_ok=True)
        plugin.unlink(missing_ok=True)
        plugin.symlink_to(built)
    return config


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "DOCKER_CONFIG": str(docker_config()),
        # The engines here (Debian's docker.io 20.10, API 1.41) build with the
        # classic builder only; compose must not hand a build to BuildKit/bake.
        "DOCKER_BUILDKIT": "0",
        "COMPOSE_BAKE": "false",
    }


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``docker ARGS`` with the private config (never raises on a failure)."""
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=False, env=_env(), timeout=timeout
    )


def engine_problem() -> str | None:
    """None when a Docker engine answers; otherwise what to do about it."""
    if shutil.which("docker") is None:
        return "the docker CLI is missing (apt-get install docker.io)"
    answer = docker("version", "--format", "{{.Server.APIVersion}}", timeout=30)
    if answer.returncode != 0:
        return (
            "no Docker engine answers: start one (dockerd --storage-driver=vfs "
            f"--iptables=false --bridge=none, as .ci/run does):\n{answer.stderr.strip()}"
        )
    return None


def missing_images(images: Iterable[str]) -> list[str]:
    return [image for image in images if docker("image", "inspect", image).returncode != 0]


def listening(ports: Iterable[int]) -> list[int]:
    """The ports something accepts connections on at 127.0.0.1."""
    found = []
    for port in ports:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                found.append(port)
    return found


class ComposeProject:
    """One compose project: its name and the files merged, in order."""

    def __init__(self, name: str, files: Sequence[Path]) -> None:
        self.name = name
        self.files = list(files)
        self.mounted: set[str] = set()

    def command(self, *args: str) -> list[str]:
        files = [arg for path in self.files for arg in ("-f", str(path))]
        return ["docker", "compose", "-p", self.name, *files, *args]

    def run(
        self, *args: str, timeout: float = 900, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.command(*args),
            capture_output=True,
            text=True,
            check=False,
            env=_env(),
            cwd=REPO,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker compose {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def config(self) -> dict[str, Any]:
        """The merged project as docker compose itself reads it."""
        loaded: dict[str, Any] = json.loads(self.run("config", "--format", "json").stdout)
        return loaded

    def containers(self) -> list[dict[str, Any]]:
        """``docker compose ps --all``: one dict per container (Service, State, Health, ...)."""
        out = self.run("ps", "--all", "--format", "json").stdout
        # One JSON object per line (compose v2.21+), or one array (older).
        text = out.strip()
        if text.startswith("["):
            listed: list[dict[str, Any]] = json.loads(text)
            return listed
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def logs(self) -> str:
        return self.run("logs", "--no-color", "--tail", "60", check=False).stdout

    def volumes_in_use(self) -> set[str]:
        """Every volume mounted in the project's containers, named or anonymous."""
        ids = [c["ID"] for c in self.containers()]
        if not ids:
            return set()
        out = docker("inspect", "--format", "{{json .Mounts}}", *ids).stdout
        return {
            mount["Name"]
            for line in out.splitlines()
            if line.strip()
            for mount in json.loads(line)
            if mount.get("Type") == "volume"
        }

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, volumes and networks still labelled with this project."""
        label = f"label=com.docker.compose.project={self.name}"
        found = {
            "containers": docker("ps", "-a", "-q", "--filter", label).stdout.split(),
            "volumes": docker("volume", "ls", "-q", "--filter", label).stdout.split(),
            "networks": docker("network", "ls", "-q", "--filter", label).stdout.split(),
        }
        return {kind: ids for kind, ids in found.items() if ids}
