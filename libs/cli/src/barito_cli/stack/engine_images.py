"""The engine images for the compose run on machines without a registry.

``deploy/docker/compose.local.yaml`` replaces docker-compose.yml's official
engine images (which no registry here can serve) with these, built over the
locally made bases from the very artifacts the local stack runs: Kafka's
Maven-resolved jars, the Elasticsearch and OpenSearch integ-test zips,
Debian's Postgres. The build context is put together on the machine, so
nothing inside a build needs TLS to a registry.

An image is rebuilt only when its inputs change: each carries the digest of
its Dockerfile folder and artifact version as a label.

Example::

    tags = build_engine_images(load_config(), echo=print)
    tags["kafka"]                                  # "barito-local/kafka:4.1.1"
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from barito_cli.stack.config import StackConfig, StackError
from barito_cli.stack.downloads import fetch_kafka_classpath, fetch_zip_distribution

__all__ = ["ENGINE_IMAGES", "EngineImage", "build_engine_images", "engine_image_tags"]

JRE_BASE = "barito-local/jre:17"
DEBIAN_BASE = "barito-local/debian:bookworm"
POSTGRES_VERSION = "15"  # bookworm's
DIGEST_LABEL = "dev.barito.inputs"


@dataclass(frozen=True)
class EngineImage:
    name: str  # the compose service it stands in for
    folder: str  # under deploy/docker/engines
    base: str
    build_args: tuple[tuple[str, str], ...] = ()

    def version(self, config: StackConfig) -> str:
        if self.name == "postgres":
            return POSTGRES_VERSION
        return str(config.engines[self.name]["version"])

    def tag(self, config: StackConfig) -> str:
        return f"barito-local/{self.name}:{self.version(config)}"


ENGINE_IMAGES = (
    EngineImage("kafka", "kafka", JRE_BASE),
    EngineImage("elasticsearch", "search", JRE_BASE, (("ENGINE", "elasticsearch"),)),
    EngineImage("opensearch", "search", JRE_BASE, (("ENGINE", "opensearch"),)),
    EngineImage("postgres", "postgres", DEBIAN_BASE),
)


def engine_image_tags(config: StackConfig) -> dict[str, str]:
    """The tag of each engine image, by compose service name."""
    return {image.name: image.tag(config) for image in ENGINE_IMAGES}


def _docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    # The classic builder: the engines here (Debian's 20.10) have no BuildKit
    # that could reach a registry for its frontend anyway.
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    result = subprocess.run(["docker", *args], capture_output=True, text=True, check=False, env=env)
    if check and result.returncode != 0:
        raise StackError(f"docker {' '.join(args[:2])} failed:\n{result.stderr[-4000:]}")
    return result


def _inputs_digest(folder: Path, image: EngineImage, version: str) -> str:
    digest = hashlib.sha256(f"{image.name}:{version}:{image.base}".encode())
    digest.update(repr(image.build_args).encode())
    for path in sorted(folder.iterdir()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _built_digest(tag: str) -> str | None:
    result = _docker(
        "image", "inspect", "--format", f'{{{{index .Config.Labels "{DIGEST_LABEL}"}}}}', tag,
        check=False,
    )  # fmt: skip
    return result.stdout.strip() if result.returncode == 0 else None


def _artifacts(config: StackConfig, image: EngineImage) -> dict[str, Path]:
    """What the context needs from the machine, by folder name inside the context."""
    if image.name == "kafka":
        version = config.engines["kafka"]["version"]
        libs = fetch_kafka_classpath(
            config.definition_dir / "kafka" / "pom.xml",
            config.cache_dir / f"kafka-{version}" / "libs",
        )
        return {"libs": libs}
    if image.name in ("elasticsearch", "opensearch"):
        settings = config.engines[image.name]
        dist = fetch_zip_distribution(
            settings["artifact"], config.cache_dir / f"{image.name}-{settings['version']}"
        )
        return {"dist": dist}
    return {}


def _prepare_context(config: StackConfig, image: EngineImage, folder: Path) -> Path:
    context = config.cache_dir / "engine-contexts" / image.name
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(folder, context)
    for name, source in _artifacts(config, image).items():
        # Hard links where the cache and the context share a filesystem: the
        # distributions are a few hundred MB, sent to the engine as they are.
        try:
            shutil.copytree(source, context / name, copy_function=os.link)
        except OSError:
            shutil.rmtree(context / name, ignore_errors=True)
            shutil.copytree(source, context / name)
        (context / name / ".complete").unlink(missing_ok=True)
    return context


def build_engine_images(
    config: StackConfig, *, only: tuple[str, ...] = (), echo: Callable[[str], None] = lambda _: None
) -> dict[str, str]:
    """Build each engine image whose inputs changed; return every tag by service name."""
    tags = {}
    for image in ENGINE_IMAGES:
        tag = image.tag(config)
        tags[image.name] = tag
        if only and image.name not in only:
            continue
        folder = config.repo / "deploy" / "docker" / "engines" / image.folder
        digest = _inputs_digest(folder, image, image.version(config))
        if _built_digest(tag) == digest:
            continue
        if _docker("image", "inspect", image.base, check=False).returncode != 0:
            raise StackError(
                f"{tag} builds on {image.base}, which is missing: make the local bases "
                "first (see docs/deploy.md, 'Running the compose file without a registry')"
            )
        started = time.monotonic()
        context = _prepare_context(config, image, folder)
        args = [arg for key, value in image.build_args for arg in ("--build-arg", f"{key}={value}")]
        # --network host: the engine has no bridge, and Postgres' build reaches
        # the Debian archive named by the base's own apt sources.
        _docker(
            "build", "--network", "host", "--build-arg", f"BASE={image.base}", *args,
            "--label", f"{DIGEST_LABEL}={digest}", "-t", tag, str(context),
        )  # fmt: skip
        shutil.rmtree(context, ignore_errors=True)
        echo(f"{tag}: built in {time.monotonic() - started:.0f}s")
    return tags


if __name__ == "__main__":
    from barito_cli.stack.config import load_config

    for service, built in build_engine_images(load_config(), echo=print).items():
        print(f"{service}: {built}")
