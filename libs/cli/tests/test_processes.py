"""The stack stops exactly the processes it started, and all of their children."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from barito_cli.stack.processes import running_pid, start_process, stop_process


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_started_process_is_tracked_and_stopped_with_its_children(tmp_path: Path) -> None:
    pid_file, log_file = tmp_path / "x.pid", tmp_path / "x.log"
    children = tmp_path / "children"
    pid = start_process(
        ["sh", "-c", f"sleep 60 & echo $! > {children}; echo started; wait"],
        pid_file=pid_file,
        log_file=log_file,
    )
    assert running_pid(pid_file) == pid
    deadline = time.monotonic() + 10
    while not (children.exists() and children.read_text().strip()):
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    child = int(children.read_text())

    assert stop_process(pid_file, timeout_s=5) is True
    assert not pid_file.exists()
    assert not _alive(pid)
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "stopping the stack must not orphan an engine's child JVM"


def test_a_recycled_pid_is_not_ours_and_is_never_signalled(tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        pid_file = tmp_path / "engine.pid"
        # Same pid, but a start time that is not this process's: the pid was reused.
        pid_file.write_text(f"{stranger.pid} 1\n")
        assert running_pid(pid_file) is None
        assert stop_process(pid_file, timeout_s=1) is False
        assert _alive(stranger.pid)
    finally:
        stranger.kill()
        stranger.wait()


def test_the_previous_log_is_kept_when_a_process_is_started_again(tmp_path: Path) -> None:
    pid_file, log_file = tmp_path / "x.pid", tmp_path / "x.log"
    for word in ("first", "second"):
        start_process(["echo", word], pid_file=pid_file, log_file=log_file)
        deadline = time.monotonic() + 5
        while word not in log_file.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert log_file.read_text().strip() == "second"
    assert log_file.with_suffix(".previous.log").read_text().strip() == "first"
