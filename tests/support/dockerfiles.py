"""Reading the reports ``tools/dockerfilecheck`` makes of a Dockerfile (BuildKit's parser).

Each report is BuildKit's view of one file: its build arguments and, per
stage, the base and every instruction. These read off what a user of the
image meets: the final stage's user, environment and working directory, the
COPYs, and what .dockerignore keeps out of the build context.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

from tests.support.deploy import REPO

SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|DATABASE__URL", re.IGNORECASE
)


def final_stage(report: dict[str, Any]) -> list[dict[str, Any]]:
    commands: list[dict[str, Any]] = report["stages"][-1]["commands"]
    return commands


def why_root(report: dict[str, Any]) -> str | None:
    """Why the final stage runs as root, or None when it does not."""
    users = [c["user"] for c in final_stage(report) if c["instruction"] == "user"]
    if not users:
        return "the final stage has no USER: the container runs as root"
    user = users[-1].split(":")[0]
    if user in ("root", "0"):
        return f"USER {users[-1]}: the container runs as root"
    if not user.isdigit():
        # Kubernetes' runAsNonRoot cannot verify a user name without /etc/passwd.
        return f"USER {users[-1]}: not numeric, Kubernetes cannot verify it is not root"
    return None


def stage_base(report: dict[str, Any], stage: int) -> str:
    """A stage's base with the build arguments' defaults put in (what `docker build` uses)."""
    defaults = {pair["key"]: pair["value"] or "" for pair in report["meta_args"]}
    base: str = report["stages"][stage]["base"]
    return re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), base)


def baked_secrets(report: dict[str, Any]) -> list[str]:
    found = []
    stages = [{"commands": [{"instruction": "arg", "args": report["meta_args"]}]}]
    for stage in [*stages, *report["stages"]]:
        for command in stage["commands"]:
            for pair in command.get("env") or command.get("args") or []:
                if SECRET_NAME.search(pair["key"]) and pair["value"]:
                    found.append(f"{command['instruction'].upper()} {pair['key']}")
    return found


def final_env(report: dict[str, Any]) -> dict[str, str]:
    return {
        pair["key"]: pair["value"]
        for command in final_stage(report)
        for pair in command.get("env") or []
    }


def final_workdir(report: dict[str, Any]) -> Path:
    workdirs = [
        c["text"].split(" ", 1)[1] for c in final_stage(report) if c["instruction"] == "workdir"
    ]
    return Path(workdirs[-1])


def copies(report: dict[str, Any]) -> list[tuple[str | None, list[str], str]]:
    """(--from stage or None, sources, destination) of every COPY in every stage."""
    copies = []
    for stage in report["stages"]:
        for command in stage["commands"]:
            if command["instruction"] != "copy":
                continue
            words = command["text"].split()[1:]
            source_stage = next(
                (w.removeprefix("--from=") for w in words if w.startswith("--from=")), None
            )
            paths = [w for w in words if not w.startswith("--")]
            copies.append((source_stage, paths[:-1], paths[-1]))
    return copies


def dockerignore_patterns() -> list[str]:
    return [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore (these patterns, no negations used) hides ``path`` or a parent."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern.replace("**/", "*")) or fnmatch.fnmatch(prefix, pattern)
        for pattern in patterns
        for prefix in prefixes
    )
