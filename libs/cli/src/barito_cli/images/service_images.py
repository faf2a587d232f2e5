"""The five service images and the canary, built on the local bases.

The Dockerfiles keep the official bases as their defaults; here their base
build arguments name the local ones, so ``make images`` builds the same
Dockerfiles a user with Docker Hub builds. Tags are what docker-compose.yml
names (``barito/<service>:dev``). The classic builder's layer cache makes a
warm build a few seconds: only a changed source reruns its steps.

Example::

    for built in build_service_images(load_config(), echo=print):
        print(built.tag, built.seconds, built.size_bytes)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from barito_cli.images.bases import NODE_BASE, PYTHON_BASE, PYTHON_BUILD_BASE, build_bases
from barito_cli.images.docker_cli import docker_build, image_size
from barito_cli.stack.config import StackConfig

__all__ = ["SERVICE_IMAGES", "BuiltImage", "build_service_images", "image_tag"]

# Image name -> Dockerfile, relative to the repository root (the build context).
SERVICE_IMAGES = {
    "market": Path("services/market/Dockerfile"),
    "receiver": Path("services/receiver/Dockerfile"),
    "provisioner": Path("services/provisioner/Dockerfile"),
    "flow": Path("services/flow/Dockerfile"),
    "server": Path("services/server/Dockerfile"),
    "canary": Path("libs/cli/Dockerfile"),
}
TAG = "dev"


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    seconds: float
    size_bytes: int


def image_tag(name: str) -> str:
    return f"barito/{name}:{TAG}"


def build_service_images(
    config: StackConfig, *, echo: Callable[[str], None], names: tuple[str, ...] = ()
) -> list[BuiltImage]:
    """Build the bases, then each named image (all when ``names`` is empty)."""
    build_bases(config, echo=echo)
    built = []
    for name in names or tuple(SERVICE_IMAGES):
        args = {"PYTHON_BASE": PYTHON_BASE, "PYTHON_BUILD_BASE": PYTHON_BUILD_BASE}
        if name == "market":
            args["NODE_BASE"] = NODE_BASE
        started = time.monotonic()
        echo(f"building {image_tag(name)}")
        docker_build(
            dockerfile=config.repo / SERVICE_IMAGES[name],
            context=config.repo,
            tag=image_tag(name),
            build_args=args,
        )
        seconds = time.monotonic() - started
        built.append(BuiltImage(image_tag(name), seconds, image_size(image_tag(name))))
    return built
