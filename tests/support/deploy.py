"""What the deploy tests share: the checking tools, and the settings the code reads.

No Docker engine or Kubernetes cluster runs here, so each deploy file is read
by the real tool that understands it, built once from the Go module proxy and
cached under ``$BARITO_CACHE_DIR/tools`` (``barito_cli.stack.go_tools``)::

    project = compose_project()                      # compose-go's normalized project
    reports = dockerfile_reports([path, ...])        # BuildKit's parse of each file
    run_helm("lint", CHART)                          # helm built from helm.sh/helm/v3
    objects = render_chart("-f", str(PRODUCTION_VALUES))  # what helm template renders

The settings side is derived from the code, so the tests stay true as
settings change: ``env_names(MarketSettings)`` is every ``BARITO_`` variable
the market reads, and ``settings_from(MarketSettings, env)`` builds the
settings exactly as the service would at start-up.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import types
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from barito_cli.stack.config import load_config
from barito_cli.stack.go_tools import go_tool
from barito_common.settings import ServiceSettings
from barito_flow.settings import FlowSettings
from barito_market.settings import MarketSettings
from barito_provisioner.settings import ProvisionerSettings
from barito_receiver.settings import ReceiverSettings
from barito_server.settings import ServerSettings

__all__ = [
    "CHART",
    "COMPOSE_FILE",
    "PRODUCTION_VALUES",
    "REPO",
    "SERVICES",
    "SETTINGS",
    "compose_project",
    "dockerfile_reports",
    "env_names",
    "helm_binary",
    "load_json",
    "render_chart",
    "required_env_names",
    "run_helm",
    "settings_from",
]

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
CHART = REPO / "deploy" / "helm" / "barito"
PRODUCTION_VALUES = CHART / "ci" / "production-values.yaml"
SERVICES = ("market", "receiver", "provisioner", "flow", "server")
SETTINGS: dict[str, type[ServiceSettings]] = {
    "market": MarketSettings,
    "receiver": ReceiverSettings,
    "provisioner": ProvisionerSettings,
    "flow": FlowSettings,
    "server": ServerSettings,
}
PREFIX = "BARITO_"
# The pinned helm module (tools/helm/go.mod); the cache key covers it.
HELM_PACKAGE = "helm.sh/helm/v3/cmd/helm"


@functools.cache
def _tool(name: str, package: str = ".", binary: str | None = None) -> Path:
    # Built at most once per test session; a warm cache makes this a stat().
    config = load_config(REPO)
    built: Path = go_tool(config, name, package=package, binary=binary, echo=print)
    return built


def helm_binary() -> Path:
    return _tool("helm", HELM_PACKAGE, "helm")


def run_helm(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``helm ARGS``, with Helm's own config and cache kept out of the user's home."""
    home = load_config(REPO).cache_dir / "helm-home"
    env = {
        **os.environ,
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    result = subprocess.run(
        [str(helm_binary()), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"helm {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


def render_chart(*args: str) -> list[dict[str, Any]]:
    """The objects ``helm template`` renders from the chart with ``args`` (e.g. ``-f FILE``)."""
    result = run_helm("template", "barito", CHART, "--namespace", "logs", *args)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def compose_project(
    path: Path = COMPOSE_FILE, *, profiles: str = "*"
) -> subprocess.CompletedProcess[str]:
    """tools/composecheck on ``path``: its output is the project as JSON."""
    return subprocess.run(
        [str(_tool("composecheck")), "-profiles", profiles, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def dockerfile_reports(*paths: Path) -> subprocess.CompletedProcess[str]:
    """tools/dockerfilecheck on ``paths``: a JSON list of one report per file."""
    return subprocess.run(
        [str(_tool("dockerfilecheck")), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def load_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings fragment a field holds (``KafkaSettings``, ``X | None``), if any."""
    candidates = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType)
        else (annotation,)
    )
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def env_names(model: type[BaseModel], prefix: str = PREFIX) -> set[str]:
    """Every environment variable that sets a field of ``model``, nested with ``__``.

    A fragment may be set whole (``BARITO_KAFKA`` as JSON) or field by field
    (``BARITO_KAFKA__BOOTSTRAP_SERVERS``); both are listed.
    """
    names: set[str] = set()
    for field_name, field in model.model_fields.items():
        name = f"{prefix}{field_name}".upper()
        names.add(name)
        fragment = _model_of(field.annotation)
        if fragment is not None:
            names |= env_names(fragment, f"{name}__")
    return names


def required_env_names(model: type[BaseModel], prefix: str = PREFIX) -> set[str]:
    """The variables of fields without a default: the service cannot start without them."""
    names: set[str] = set()
    for field_name, field in model.model_fields.items():
        name = f"{prefix}{field_name}".upper()
        if field.is_required():
            names.add(name)
        fragment = _model_of(field.annotation)
        if fragment is not None:
            names |= required_env_names(fragment, f"{name}__")
    return names


@contextmanager
def _only_environment(env: Mapping[str, str]) -> Iterator[None]:
    # Settings read os.environ; the test's own BARITO_ variables must not leak in.
    saved = dict(os.environ)
    try:
        for key in [key for key in os.environ if key.upper().startswith(PREFIX)]:
            del os.environ[key]
        os.environ.update(env)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def settings_from(cls: type[ServiceSettings], env: Mapping[str, str]) -> ServiceSettings:
    """The settings the service builds at start-up from ``env`` (pydantic errors if refused)."""
    with _only_environment(env):
        return cls()


def build_tools() -> None:
    """Build (or find cached) every tool the deploy tests use; ``make tools`` runs this."""
    for built in (helm_binary(), _tool("composecheck"), _tool("dockerfilecheck")):
        print(f"tools: {built}")


if __name__ == "__main__":
    build_tools()
