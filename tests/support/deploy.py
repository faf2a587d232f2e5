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
settings exactly as the service would at start-up. The canary is a CLI
command whose options read ``BARITO_CANARY_`` variables:
``canary_env_names()`` and ``canary_options_from(env)`` are the same for it.
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

import click
import yaml
from pydantic import BaseModel, SecretStr

from barito_cli.canary import canary_command
from barito_cli.stack.config import load_config
from barito_cli.stack.go_tools import go_tool
from barito_common.secret_files import FILE_SUFFIX
from barito_common.settings import ServiceSettings
from barito_flow.settings import FlowSettings
from barito_market.settings import MarketSettings
from barito_provisioner.settings import ProvisionerSettings
from barito_receiver.settings import ReceiverSettings
from barito_server.settings import ServerSettings

__all__ = [
    "CANARY_DOCKERFILE",
    "CHART",
    "COMPOSE_FILE",
    "LOCAL_COMPOSE_OVERRIDE",
    "PRODUCTION_VALUES",
    "REPO",
    "SECURED_ENGINES_VALUES",
    "SERVICES",
    "SERVICE_TLS_VALUES",
    "SETTINGS",
    "canary_env_names",
    "canary_options_from",
    "compose_binary",
    "compose_project",
    "dockerfile_reports",
    "env_names",
    "helm_binary",
    "load_json",
    "render_chart",
    "required_env_names",
    "run_helm",
    "secret_setting_names",
    "servicemonitor_crd",
    "settings_from",
]

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
# docker-compose.yml's override for machines without a registry.
LOCAL_COMPOSE_OVERRIDE = REPO / "deploy" / "docker" / "compose.local.yaml"
CHART = REPO / "deploy" / "helm" / "barito"
PRODUCTION_VALUES = CHART / "ci" / "production-values.yaml"
# Every service serving TLS itself, behind an ingress that re-encrypts.
SERVICE_TLS_VALUES = CHART / "ci" / "service-tls-values.yaml"
# Kafka over SASL_SSL, Elasticsearch with an API key, Postgres verify-full.
SECURED_ENGINES_VALUES = CHART / "ci" / "secured-engines-values.yaml"
CANARY_DOCKERFILE = REPO / "libs" / "cli" / "Dockerfile"
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
CONTROLLER_GEN_PACKAGE = "sigs.k8s.io/controller-tools/cmd/controller-gen"
# The Compose CLI (tools/compose/go.mod pins github.com/docker/compose/v5).
COMPOSE_PACKAGE = "github.com/docker/compose/v5/cmd"


@functools.cache
def _tool(name: str, package: str = ".", binary: str | None = None) -> Path:
    # Built at most once per test session; a warm cache makes this a stat().
    config = load_config(REPO)
    built: Path = go_tool(config, name, package=package, binary=binary, echo=print)
    return built


def helm_binary() -> Path:
    return _tool("helm", HELM_PACKAGE, "helm")


def compose_binary() -> Path:
    """The ``docker compose`` plugin (tests/support/compose.py installs it)."""
    return _tool("compose", COMPOSE_PACKAGE, "docker-compose")


def controller_gen_binary() -> Path:
    return _tool("servicemonitor-crd", CONTROLLER_GEN_PACKAGE, "controller-gen")


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


def servicemonitor_crd(output: Path) -> dict[str, Any]:
    """The ServiceMonitor CRD, generated by controller-gen from the Prometheus Operator's Go types.

    Both are pinned in tools/servicemonitor-crd; nothing of it is vendored here.
    """
    controller_gen = controller_gen_binary()
    # controller-gen loads the API package through `go list`, inside the tool's module.
    go_dirs = [d for d in ("/usr/local/go/bin", "/usr/lib/go/bin") if Path(d).is_dir()]
    env = {**os.environ, "PATH": os.pathsep.join([*go_dirs, os.environ.get("PATH", "")])}
    result = subprocess.run(
        [
            str(controller_gen),
            "crd:crdVersions=v1,maxDescLen=0",
            "paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1",
            f"output:crd:dir={output}",
        ],
        cwd=REPO / "tools" / "servicemonitor-crd",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    crd: dict[str, Any] = yaml.safe_load(
        (output / "monitoring.coreos.com_servicemonitors.yaml").read_text()
    )
    return crd


def render_chart(*args: str) -> list[dict[str, Any]]:
    """The objects ``helm template`` renders from the chart with ``args`` (e.g. ``-f FILE``)."""
    result = run_helm("template", "barito", CHART, "--namespace", "logs", *args)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def compose_project(
    path: Path = COMPOSE_FILE,
    *overrides: Path,
    profiles: str = "*",
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """tools/composecheck on ``path`` (``overrides`` merged over it): the project as JSON.

    ``env`` is what the user's shell would give the file's ``${...}`` (nothing else is read).
    """
    assignments = [f"-env={name}={value}" for name, value in (env or {}).items()]
    files = [str(p) for p in (path, *overrides)]
    return subprocess.run(
        [str(_tool("composecheck")), "-profiles", profiles, *assignments, *files],
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
    (``BARITO_KAFKA__BOOTSTRAP_SERVERS``); both are listed. Each may also be read
    from a file (``BARITO_KAFKA__SASL_PASSWORD_FILE``, ``barito_common.secret_files``).
    """
    names: set[str] = set()
    for field_name, field in model.model_fields.items():
        name = f"{prefix}{field_name}".upper()
        names |= {name, f"{name}{FILE_SUFFIX}"}
        fragment = _model_of(field.annotation)
        if fragment is not None:
            names |= env_names(fragment, f"{name}__")
    return names


def secret_setting_names(model: type[BaseModel], prefix: str = PREFIX) -> set[str]:
    """The variables of ``model``'s secret settings (``SecretStr`` fields), nested with ``__``."""
    names: set[str] = set()
    for field_name, field in model.model_fields.items():
        name = f"{prefix}{field_name}".upper()
        annotation = field.annotation
        union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
        if SecretStr in (typing.get_args(annotation) if union else (annotation,)):
            names.add(name)
        fragment = _model_of(annotation)
        if fragment is not None:
            names |= secret_setting_names(fragment, f"{name}__")
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


def canary_env_names() -> set[str]:
    """Every environment variable an option of ``barito canary`` reads."""
    return {p.envvar for p in canary_command.params if isinstance(p.envvar, str)}


def canary_options_from(env: Mapping[str, str]) -> dict[str, Any]:
    """The options ``barito-canary`` would run with given ``env`` (click's errors if refused)."""
    with _only_environment(env), click.Context(canary_command) as ctx:
        canary_command.parse_args(ctx, [])
        return dict(ctx.params)


def build_tools() -> None:
    """Build (or find cached) every tool the deploy tests use; ``make tools`` runs this."""
    for built in (
        helm_binary(),
        _tool("composecheck"),
        _tool("dockerfilecheck"),
        controller_gen_binary(),
        compose_binary(),
    ):
        print(f"tools: {built}")


if __name__ == "__main__":
    build_tools()
