"""The services' Dockerfiles and the canary's, read by BuildKit's own Dockerfile parser.

No Docker engine runs here, so nothing is built: ``tools/dockerfilecheck``
parses each file with ``github.com/moby/buildkit/frontend/dockerfile`` (what
``docker build`` runs first) and these tests check what a user of the image
would meet: a container that runs as root, no health check, a secret baked
into the image, a COPY of a file that is not there or that .dockerignore
hides, or paths the code expects that the image does not have.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from barito_common.healthcheck import health_url
from barito_flow.settings import FlowSettings
from barito_market.settings import MarketSettings
from barito_market.spa import DEFAULT_DIST_DIR
from barito_provisioner.settings import ProvisionerSettings
from tests.support.deploy import (
    CANARY_DOCKERFILE,
    REPO,
    SERVICES,
    SETTINGS,
    canary_env_names,
    dockerfile_reports,
    env_names,
    load_json,
)
from tests.support.dockerfiles import (
    baked_secrets,
    copies,
    dockerignore_patterns,
    dockerignored,
    final_env,
    final_stage,
    final_workdir,
    stage_base,
    why_root,
)

# A cold `make test` builds the tools first (`make tools`); run alone, the first
# test builds its Go tool (under a minute cold on two cores) inside its own time.
pytestmark = pytest.mark.timeout(1800)

DOCKERFILES = {service: REPO / "services" / service / "Dockerfile" for service in SERVICES}
# Every image: the five services and the canary (`barito-canary`, from the CLI package).
IMAGES = {**DOCKERFILES, "canary": CANARY_DOCKERFILE}
# Each image's workspace member (its folder, the project `uv sync --package` names)
# and what it runs (the module its command starts, the command).
MEMBERS = {
    **{s: (f"services/{s}", f"barito-{s}", f"barito_{s}.main", f"barito-{s}") for s in SERVICES},
    "canary": ("libs/cli", "barito-cli", "barito_cli.canary", "barito-canary"),
}
# Where the repository sits in every image (WORKDIR of the final stage).
APP = Path("/app")


@pytest.fixture(scope="module")
def images() -> dict[str, dict[str, Any]]:
    parsed = load_json(dockerfile_reports(*IMAGES.values()))
    return {image: report for image, report in zip(IMAGES, parsed, strict=True)}


@pytest.fixture(scope="module")
def reports(images: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The services' images only."""
    return {service: images[service] for service in SERVICES}


def test_buildkit_parses_every_dockerfile_without_warnings(
    images: dict[str, dict[str, Any]],
) -> None:
    for service, report in images.items():
        assert report["warnings"] == [], f"{service}: {report['warnings']}"
        assert len(report["stages"]) >= 2, f"{service}: not a multi-stage build"
        # The bases are build arguments (local bases on machines without a
        # registry); a user who passes none builds on the official ones.
        assert stage_base(report, -1).startswith("python:3.11-slim"), service
        assert stage_base(report, 0).startswith("python:3.11-slim"), service
    assert stage_base(images["market"], 1) == "node:20-slim"


def test_buildkit_refuses_a_broken_dockerfile(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python:3.11-slim\nHEALTHCHECK --interval=often CMD true\n")
    result = dockerfile_reports(broken)
    assert result.returncode == 1
    assert str(broken) in result.stderr


def test_every_image_runs_as_a_numeric_non_root_user(images: dict[str, dict[str, Any]]) -> None:
    problems = {service: why_root(report) for service, report in images.items()}
    assert {service: p for service, p in problems.items() if p} == {}


def test_a_dockerfile_without_user_or_with_root_is_caught(tmp_path: Path) -> None:
    cases = {
        "none": 'FROM python:3.11-slim\nCMD ["true"]\n',
        "root": "FROM python:3.11-slim\nUSER 10001\nUSER root\n",
        "zero": "FROM python:3.11-slim\nUSER 0:0\n",
        "builder-only": "FROM python:3.11-slim AS b\nUSER 10001\nFROM python:3.11-slim\n",
    }
    paths = []
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    for name, report in zip(cases, load_json(dockerfile_reports(*paths)), strict=True):
        assert why_root(report) is not None, name


def test_every_image_checks_its_own_healthz(reports: dict[str, dict[str, Any]]) -> None:
    for service, report in reports.items():
        checks = [
            c["healthcheck"] for c in final_stage(report) if c["instruction"] == "healthcheck"
        ]
        assert checks, f"{service}: no HEALTHCHECK"
        test = checks[-1]
        assert test[0] == "CMD", f"{service}: {test}"
        # barito_common.healthcheck, which asks over HTTPS when the service has
        # a certificate (BARITO_TLS_CERTFILE).
        assert test == ["CMD", "python", "-m", "barito_common.healthcheck", "/healthz"], service
        # The port it asks is the one the service listens on.
        port = final_env(report)["BARITO_PORT"]
        assert health_url("/healthz", {"BARITO_PORT": port}) == f"http://127.0.0.1:{port}/healthz"
        assert port == str(SETTINGS[service].model_fields["port"].default)


def test_no_image_bakes_a_secret_into_env_or_arg(images: dict[str, dict[str, Any]]) -> None:
    assert {s: baked_secrets(r) for s, r in images.items() if baked_secrets(r)} == {}


def test_a_secret_in_env_or_arg_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(
        "ARG GITHUB_TOKEN=ghp_x\nFROM python:3.11-slim\n"
        "ENV BARITO_SEARCH__PASSWORD=hunter2 LOG=1\nARG API_KEY\nUSER 1\n"
    )
    (report,) = load_json(dockerfile_reports(path))
    # A declared ARG without a value is a build-time input, not a baked secret.
    assert baked_secrets(report) == ["ARG GITHUB_TOKEN", "ENV BARITO_SEARCH__PASSWORD"]


def test_image_settings_are_settings_the_service_reads(reports: dict[str, dict[str, Any]]) -> None:
    for service, report in reports.items():
        env = final_env(report)
        barito = {key for key in env if key.startswith("BARITO_")}
        assert barito <= env_names(SETTINGS[service]), f"{service}: {barito}"
        # In a container, 127.0.0.1 would take no traffic from outside it.
        assert env["BARITO_HOST"] == "0.0.0.0", service


def test_each_image_installs_only_barito_common_and_its_own_package(
    images: dict[str, dict[str, Any]],
) -> None:
    for image, report in images.items():
        folder, project, _, _ = MEMBERS[image]
        runs = " ".join(
            c["text"] for stage in report["stages"] for c in stage["commands"]
            if c["instruction"] == "run"
        )  # fmt: skip
        syncs = re.findall(r"uv sync ([^&;]*)", runs)
        assert syncs, f"{image}: no uv sync"
        for sync in syncs:
            assert "--frozen" in sync and "--no-dev" in sync, f"{image}: {sync}"
            assert f"--package {project}" in sync, f"{image}: {sync}"
        sources = {
            path
            for stage, paths, _ in copies(report)
            if stage is None
            for path in paths
            if path.endswith("/src")
        }
        assert sources == {"libs/common/src", f"{folder}/src"}, image


def test_every_copied_path_exists_and_is_not_dockerignored(
    images: dict[str, dict[str, Any]],
) -> None:
    patterns = dockerignore_patterns()
    assert ".git" in patterns and "**/node_modules" in patterns
    for service, report in images.items():
        for stage, paths, _ in copies(report):
            if stage is not None:
                continue
            for path in paths:
                assert (REPO / path).exists(), f"{service}: COPY {path}: not in the repository"
                hidden = dockerignored(path, patterns)
                assert not hidden, f"{service}: COPY {path}: .dockerignore hides it"


def test_nothing_git_ignores_is_sent_into_an_image(images: dict[str, dict[str, Any]]) -> None:
    """Caches, builds and local state under a copied folder stay out of the build context."""
    patterns = dockerignore_patterns()
    sources = {
        path
        for report in images.values()
        for stage, paths, _ in copies(report)
        if stage is None
        for path in paths
        if (REPO / path).is_dir()
    }
    git_ignored = ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--directory"]
    listed = subprocess.run(
        [*git_ignored, *sorted(sources)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    leaked = [path for path in listed if not dockerignored(path.rstrip("/"), patterns)]
    assert leaked == [], f"add them to .dockerignore: {leaked}"
    # The check sees what it must: the web UI's own build and modules, when present.
    for built in ("services/market/web/dist", "services/market/web/node_modules"):
        assert dockerignored(built, patterns)


def test_images_hold_the_files_the_code_finds_by_its_own_location(
    reports: dict[str, dict[str, Any]],
) -> None:
    """The SPA and the templates sit where the code's defaults point, in the image too."""

    def copied_to(report: dict[str, Any]) -> set[Path]:
        workdir = final_workdir(report)
        return {workdir / destination for _, _, destination in copies(report)}

    market = copied_to(reports["market"])
    dist = APP / DEFAULT_DIST_DIR.relative_to(REPO)
    assert dist in market
    # The SPA is built in the image: a stage runs the build the market serves.
    web_stage = next(s for s in reports["market"]["stages"] if s["name"] == "web")
    assert any("npm run build" in c["text"] for c in web_stage["commands"])
    capacity = Path(MarketSettings.model_fields["capacity_templates_dir"].default)
    assert APP / capacity.relative_to(REPO) in market
    capacity = Path(FlowSettings.model_fields["capacity_templates_dir"].default)
    assert APP / capacity.relative_to(REPO) in copied_to(reports["flow"])
    templates = Path(ProvisionerSettings.model_fields["templates_dir"].default)
    assert APP / templates.relative_to(REPO) in copied_to(reports["provisioner"])
    # The embedded-database folder is one the non-root user may write.
    assert final_env(reports["market"])["BARITO_DATA_DIR"] == "/var/lib/barito/market"
    runs = " ".join(c["text"] for c in final_stage(reports["market"]) if c["instruction"] == "run")
    assert "install -d -o barito -g barito /var/lib/barito/market" in runs


# The uv that runs this test (`uv run` names itself in UV), else the Makefile's way.
_UV = [os.environ["UV"]] if "UV" in os.environ else ["python3", "-m", "uv"]


def _replay_builder(report: dict[str, Any], root: Path) -> Path:
    """Do the builder stage's COPY and `uv sync` steps in ``root``; returns its WORKDIR.

    The other RUN steps install uv itself, whose pinned version is checked
    against the Makefile's instead.
    """
    (builder,) = [s for s in report["stages"] if s["name"] == "builder"]
    workdir = root
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    for command in builder["commands"]:
        if command["instruction"] == "workdir":
            workdir = root / command["text"].split(" ", 1)[1].lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif command["instruction"] == "copy":
            *sources, destination = command["text"].split()[1:]
            for source in sources:
                target = workdir / destination
                if (REPO / source).is_dir():
                    shutil.copytree(REPO / source, target, dirs_exist_ok=True)
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy(REPO / source, target)
        elif command["instruction"] == "run" and command["text"].startswith("RUN uv "):
            argv = [*_UV, *command["text"].split()[2:]]
            result = subprocess.run(
                argv, cwd=workdir, env=env, capture_output=True, text=True, check=False
            )
            assert result.returncode == 0, f"{command['text']}:\n{result.stderr}"
    return workdir


@pytest.mark.parametrize("image", list(IMAGES))
def test_the_image_install_step_gives_its_own_package_and_barito_common_only(
    images: dict[str, dict[str, Any]], image: str, tmp_path: Path
) -> None:
    """The builder stage's own steps, replayed here: what would the image hold?"""
    report = images[image]
    _, _, module, command = MEMBERS[image]
    runs = " ".join(c["text"] for c in report["stages"][0]["commands"])
    uv_version = re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.M)
    assert uv_version and f"uv=={uv_version.group(1)}" in runs, "uv differs from the Makefile's"
    app = _replay_builder(report, tmp_path)
    python = app / ".venv" / "bin" / "python"
    package = module.split(".")[0]
    others = [f"barito_{o}" for o in (*SERVICES, "cli") if f"barito_{o}" != package]
    probe = (
        "import importlib.util, sys\n"
        f"import {module}, barito_common\n"
        f"present = [m for m in {[*others, 'pytest', 'ruff']!r} if importlib.util.find_spec(m)]\n"
        "print(','.join(present))\n"
    )
    result = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{image}'s image would also hold {result.stdout}"
    # The command the image runs exists.
    assert (app / ".venv" / "bin" / command).is_file()
    if image == "canary":
        # `barito` imports the market for its admin commands; the canary's own
        # command must run without it (a service's would start serving).
        result = subprocess.run(
            [str(app / ".venv" / "bin" / command), "--help"],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert "BARITO_CANARY_SECRET" in result.stdout


def test_the_canary_image_checks_its_healthz_and_sets_only_options_the_canary_reads(
    images: dict[str, dict[str, Any]],
) -> None:
    report = images["canary"]
    checks = [c["healthcheck"] for c in final_stage(report) if c["instruction"] == "healthcheck"]
    assert checks and checks[-1][0] == "CMD"
    # The port it asks is the one the canary serves /metrics and /healthz on.
    assert "/healthz" in " ".join(checks[-1]) and "BARITO_CANARY_LISTEN" in " ".join(checks[-1])
    env = final_env(report)
    assert {key for key in env if key.startswith("BARITO_")} <= canary_env_names()
    # In a container, 127.0.0.1 would take no scrape from outside it.
    assert env["BARITO_CANARY_LISTEN"].startswith("0.0.0.0:")
