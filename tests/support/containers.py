"""Running the built images as containers for a test, and removing them after.

Containers get the host network (the only one this Docker engine offers) and
reach the local stack on 127.0.0.1; each test picks ports outside the stack's
18080-18085 and gives the services prefixes of their own. The images come
from ``make images``: building them is not a test's job (it would cost
minutes per test), so a missing image fails with the command that builds it.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from dataclasses import dataclass, field

import httpx
import pytest

__all__ = ["TEST_LABEL", "Container", "docker", "require_images"]

TEST_LABEL = "dev.barito.test"


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``docker ARGS``, its output captured; raises with docker's message when ``check``."""
    result = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args[:3])}: {result.stderr.strip()}")
    return result


def require_images(*tags: str) -> None:
    """Fail (not skip: `make test` builds them) when docker or an image is missing."""
    if shutil.which("docker") is None:
        pytest.fail("the docker CLI is missing: install docker.io and start dockerd")
    if docker("version", check=False).returncode != 0:
        pytest.fail("no Docker engine answers: start dockerd (see docs/deploy.md)")
    missing = [tag for tag in tags if docker("image", "inspect", tag, check=False).returncode]
    if missing:
        pytest.fail(f"images {', '.join(missing)} are missing: run `make images` first")


@dataclass
class Container:
    """One service container on the host network, started and stopped by docker."""

    name: str
    image: str
    port: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self) -> None:
        env = {"BARITO_HOST": "127.0.0.1", "BARITO_PORT": str(self.port), **self.env}
        flags = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        # The label lets a CI teardown find containers a killed test left behind.
        docker(
            "run", "-d", "--name", self.name, "--network", "host",
            "--label", f"{TEST_LABEL}=1", *flags, self.image,
        )  # fmt: skip

    def stop(self, *, grace_s: int = 30) -> None:
        """SIGTERM, then SIGKILL after ``grace_s``: what an orchestrator does."""
        docker("stop", "-t", str(grace_s), self.name)

    def start(self) -> None:
        docker("start", self.name)

    def remove(self) -> None:
        docker("rm", "-f", "-v", self.name, check=False)

    def user(self) -> str:
        """The uid the container's processes run as."""
        return docker("exec", self.name, "id", "-u").stdout.strip()

    def exit_code(self) -> int:
        return int(docker("inspect", "--format", "{{.State.ExitCode}}", self.name).stdout)

    def logs(self) -> str:
        result = docker("logs", "--tail", "40", self.name, check=False)
        return result.stdout + result.stderr

    async def wait_ready(self, *, timeout_s: float = 60) -> None:
        """Until /readyz answers 200 (every dependency reached)."""
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            try:
                async with asyncio.timeout(timeout_s):
                    while True:
                        try:
                            if (await client.get("/readyz")).status_code == 200:
                                return
                        except httpx.TransportError:
                            pass
                        await asyncio.sleep(0.3)
            except TimeoutError:
                raise AssertionError(f"{self.name} never got ready:\n{self.logs()}") from None
