"""Starting and stopping the stack's processes by pid file, never by name.

A pid file holds the pid and the process's start time (from /proc), so a pid
recycled by the kernel for some other program is never mistaken for ours.
Every process is the leader of its own session, so stopping it also stops the
children it spawned (Elasticsearch's launcher forks the server JVM).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "chown_to_unprivileged",
    "drop_privileges_prefix",
    "running_pid",
    "start_process",
    "stop_process",
]

UNPRIVILEGED_USER = "nobody"


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces; fields after it are space separated.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # exited, waiting to be reaped: not running
        return None
    return fields[19]


def running_pid(pid_file: Path) -> int | None:
    try:
        pid_text, started = pid_file.read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    return pid if _start_time(pid) == started else None


def drop_privileges_prefix() -> list[str]:
    """Engines that refuse to run as root run as `nobody` when we are root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={UNPRIVILEGED_USER}", "--regid=nogroup", "--clear-groups"]


def chown_to_unprivileged(*paths: Path) -> None:
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam(UNPRIVILEGED_USER)
    for top in paths:
        for root, dirs, files in os.walk(top):
            for name in [*dirs, *files]:
                os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid, follow_symlinks=False)
        os.chown(top, user.pw_uid, user.pw_gid)


def start_process(
    argv: Sequence[str],
    *,
    pid_file: Path,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    if log_file.exists():
        # Keep the previous run's log beside the new one for post-mortems.
        log_file.replace(log_file.with_suffix(".previous.log"))
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
    started = _start_time(process.pid)
    pid_file.write_text(f"{process.pid} {started}\n")
    return process.pid


def stop_process(pid_file: Path, *, timeout_s: float = 30.0) -> bool:
    """SIGTERM the process group, SIGKILL it after the timeout. True if it was running."""
    pid = running_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and running_pid(pid_file) is not None:
        _reap(pid)
        time.sleep(0.2)
    if running_pid(pid_file) is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        time.sleep(0.5)
        _reap(pid)
    pid_file.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    # When the process is our own child (tests stop what they started), collect
    # it so it does not linger as a zombie that /proc still lists.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
