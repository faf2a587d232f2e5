"""Fetching the engines from Maven Central into the cache, once."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

from barito_cli.stack.config import StackError

__all__ = ["fetch_artifact", "fetch_kafka_classpath", "fetch_zip_distribution"]


def _mvn() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "Maven is needed to fetch the engines from Maven Central: apt-get install maven"
        )
    return mvn


def _run_maven(args: list[str], *, cwd: Path | None = None) -> None:
    result = subprocess.run(
        [_mvn(), "-q", "-B", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise StackError(f"Maven failed ({' '.join(args[:1])}):\n{tail}")


def fetch_kafka_classpath(pom: Path, target: Path) -> Path:
    """Copy kafka_2.13 and its runtime dependencies into ``target`` (skipped when present)."""
    marker = target / ".complete"
    if marker.exists():
        return target
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    _run_maven(
        [
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ]
    )
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    marker.touch()
    return target


def fetch_zip_distribution(artifact: str, target: Path) -> Path:
    """Download ``group:artifact:version:zip`` and unpack its single top folder as ``target``."""
    marker = target / ".complete"
    if marker.exists():
        return target
    downloads = target.parent / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    _run_maven(["dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={downloads}"])
    _, name, version, _ = artifact.split(":")
    archive = downloads / f"{name}-{version}.zip"
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(staging)
    (top,) = list(staging.iterdir())
    shutil.rmtree(target, ignore_errors=True)
    top.rename(target)
    staging.rmdir()
    # zipfile drops the executable bits the launch scripts need.
    for script in (target / "bin").iterdir():
        script.chmod(0o755)
    archive.unlink()
    marker.touch()
    return target


def fetch_artifact(artifact: str, directory: Path) -> Path:
    """Download ``group:artifact:version:type`` (e.g. a plugin zip) into ``directory``, once."""
    _, name, version, kind = artifact.split(":")
    target = directory / f"{name}-{version}.{kind}"
    if target.exists():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    _run_maven(["dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={directory}"])
    return target
