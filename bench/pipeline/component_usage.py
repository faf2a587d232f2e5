"""CPU and memory of each part of the pipeline, read from /proc.

A component is a process and its descendants: Elasticsearch's pid file names
its launcher, whose child is the server's JVM, and a service may fork workers.
The engines' pids come from the local stack's own pid files (what
`barito stack status` prints), never from matching process names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workload import cpu_seconds

from barito_cli.stack.config import load_config
from barito_cli.stack.processes import running_pid
from barito_testing.stack import REPO

__all__ = ["Snapshot", "machine_busy_seconds", "snapshot", "stack_pids"]

_PAGE = os.sysconf("SC_PAGE_SIZE")


def stack_pids(*names: str) -> dict[str, int]:
    """The pid of each running engine of the local stack, by name."""
    config = load_config(REPO)
    pids = {name: running_pid(config.pid_file(name)) for name in names}
    missing = [name for name, pid in pids.items() if pid is None]
    if missing:
        raise SystemExit(f"not running in the local stack: {', '.join(missing)} (barito stack up)")
    return {name: pid for name, pid in pids.items() if pid is not None}


def _tree(root: int, others: set[int]) -> list[int]:
    """``root`` and its descendants, leaving out the subtree of any root in ``others``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(child for child in children.get(pid, []) if child not in others)
    return found


def _cpu(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:
        return 0.0


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except OSError:
        return 0


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent running anything (user, nice, system, irq), since boot."""
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]
    )
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds and resident bytes of each component's process tree, and the machine's."""

    cpu: dict[str, float]
    rss: dict[str, int]
    machine: float

    def cores_since(self, before: Snapshot, wall_s: float) -> dict[str, float]:
        """Cores each component used on average since ``before``; ``machine``: all of them."""
        cores = {name: (self.cpu[name] - before.cpu[name]) / wall_s for name in self.cpu}
        cores["machine"] = (self.machine - before.machine) / wall_s
        return cores


def snapshot(components: Mapping[str, int]) -> Snapshot:
    """Each component's usage; one started by another (the services by the driver) is its own."""
    roots = set(components.values())
    trees = {name: _tree(pid, roots - {pid}) for name, pid in components.items()}
    return Snapshot(
        cpu={name: sum(_cpu(pid) for pid in tree) for name, tree in trees.items()},
        rss={name: sum(_rss(pid) for pid in tree) for name, tree in trees.items()},
        machine=machine_busy_seconds(),
    )
