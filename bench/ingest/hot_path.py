"""The receiver's NDJSON hot path: this tree's receiver against another revision's, same run.

    uv run python bench/ingest/hot_path.py --baseline-rev <git rev> [--requests 200]
        [--rounds 3] [--concurrency 8] [--py-spy]

Needs the local stack's Kafka (`uv run barito stack up kafka`). It checks the
baseline revision out into a temporary `git worktree`, registers one
throw-away app, and starts two receivers on the same Kafka and app: this
tree's, and the baseline's (the same interpreter and installed dependencies,
with the worktree's `barito_receiver` and `barito_common` first on
PYTHONPATH). Then, round after round, it sends both the same NDJSON bodies
(1,000 events of about 245 bytes, each with its own millisecond in
`@timestamp`, as an agent's batch has) with `--concurrency` clients at once,
alternating which receiver goes first. Printed: each receiver's events per
CPU-second (user + system time of its process and any workers under it, from
/proc) per round and over
all rounds, and the ratio of this tree's to the baseline's.

With `--py-spy DIR` py-spy (`uvx py-spy record --nonblocking`) samples each
receiver during the rounds, and the top functions of each are printed: by own
time (a C function's time, the cyclic GC's included, counts to the Python
function that called it), and Barito's own functions with what they called.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from drivers import drive_http
from workload import TIMESTAMP, cpu_seconds, make_records, ndjson_body, register

from barito_common.settings import KafkaSettings
from barito_testing.ports import free_port

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("services/receiver/src", "libs/common/src")


@dataclass
class Receiver:
    label: str
    url: str
    pid: int
    events: int = 0
    cpu: float = 0.0
    profile: Path | None = None
    rounds: list[float] = field(default_factory=list)


@contextlib.contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """A detached checkout of ``rev`` in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="barito-baseline-") as parent:
        path = Path(parent) / "tree"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(path), rev],
            check=True,
        )
        try:
            yield path
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)], check=False
            )


def records_with_own_times(seed: int) -> list[dict[str, Any]]:
    """The ingest bench's records, each dated a millisecond after the one before."""
    start = datetime.fromisoformat(TIMESTAMP) + timedelta(seconds=seed)
    records = make_records(seed)
    for n, record in enumerate(records):
        moment = start + timedelta(milliseconds=n)
        record["@timestamp"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return records


def _leaf_pid(parent: int) -> int:
    """The innermost process under ``parent`` (uvx runs py-spy, which runs the receiver)."""
    pid = parent
    while True:
        # A child is listed under the thread that started it, any of the parent's.
        children = [
            child
            for task in Path(f"/proc/{pid}/task").glob("*")
            for child in _read(task / "children").split()
        ]
        if not children:
            return pid
        pid = int(children[0])


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of process ``pid`` and of every process under it (uvicorn's workers)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            total += cpu_seconds(current)
        pending += [
            int(child)
            for task in Path(f"/proc/{current}/task").glob("*")
            for child in _read(task / "children").split()
        ]
    return total


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


@contextlib.asynccontextmanager
async def receiver(
    label: str, kafka: KafkaSettings, sources: Path | None
) -> AsyncIterator[Receiver]:
    """A receiver process (of ``sources``, else of this tree) answering /readyz."""
    port = free_port()
    env = {
        **os.environ,
        "BARITO_PORT": str(port),
        "BARITO_FORWARD_PORT": str(free_port()),
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "BARITO_LOG_LEVEL": "WARNING",
    }
    if sources is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(sources / path) for path in SOURCES)
    with tempfile.TemporaryFile() as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "barito_receiver.main", env=env,
            stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                await _ready(url, process)
            except RuntimeError:
                log.seek(0)
                sys.stderr.write(log.read()[-3000:].decode(errors="replace"))
                raise
            yield Receiver(label, url, process.pid)
        finally:
            if process.returncode is None:
                process.terminate()
            await process.wait()


@contextlib.asynccontextmanager
async def profiled(target: Receiver, output: Path | None) -> AsyncIterator[None]:
    """Sample ``target`` with py-spy (without stopping it) while the block runs."""
    if output is None:
        yield
        return
    spy = await asyncio.create_subprocess_exec(
        "uvx", "py-spy", "record", "--pid", str(target.pid), "--subprocesses", "--nonblocking",
        "--rate", "400", "--format", "raw", "--output", str(output),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    await asyncio.sleep(2)  # uvx starting py-spy, py-spy attaching
    try:
        yield
    finally:
        # uvx runs py-spy as its child; py-spy writes the profile on SIGINT.
        with contextlib.suppress(ProcessLookupError):
            os.kill(_leaf_pid(spy.pid), signal.SIGINT)
        await spy.wait()
        target.profile = output


async def _ready(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            if process.returncode is not None:
                break
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the receiver at {url} did not become ready")


def _short_rev(rev: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", rev],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def summarise(profile: Path, top: int) -> list[str]:
    """The ``top`` functions by own samples and by samples anywhere in their stack."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        samples += int(count)
        own[_short(frames[-1])] += int(count)
        for frame in {_short(frame) for frame in frames if _OURS in frame}:
            total[frame] += int(count)
    if not samples:
        return ["  (no samples)"]
    lines = [f"  own time ({samples} samples):"]
    lines += [f"    {n / samples:6.1%}  {name}" for name, n in own.most_common(top)]
    lines.append("  Barito's functions, with what they called:")
    lines += [f"    {n / samples:6.1%}  {name}" for name, n in total.most_common(top)]
    return lines


_OURS = "(barito_"


def _short(frame: str) -> str:
    # "function (path/to/module.py:line)" -> "function (module.py)"
    name, _, where = frame.partition(" (")
    module = where.rsplit("/", 1)[-1].split(":", 1)[0].rstrip(")")
    return f"{name} ({module})" if module else name


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--baseline-rev", required=True, help="git revision to compare with")
    parser.add_argument(
        "--rev", help="git revision measured against it (default: this working tree as it is)"
    )
    parser.add_argument("--requests", type=int, default=200, help="NDJSON bodies per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP requests at once")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="profile both receivers into DIR/baseline.txt and DIR/current.txt (raw stacks)",
    )
    parser.add_argument("--top", type=int, default=12, help="profile entries printed")
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    args = parser.parse_args()

    rev = _short_rev(args.baseline_rev)
    label = f"rev {_short_rev(args.rev)}" if args.rev else "this tree"
    kafka = KafkaSettings(
        bootstrap_servers=args.bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:6]}."
    )
    profile, secret = await register(kafka)
    bodies = [ndjson_body(records_with_own_times(seed)) for seed in range(args.requests)]
    events = sum(body.count(b"\n") for body in bodies)
    headers = {"X-App-Secret": secret, "Content-Type": "application/x-ndjson"}
    print(
        f"baseline {rev}; {args.requests} NDJSON bodies x 1000 events "
        f"({sum(map(len, bodies)) / events:.0f} bytes/event) per round, {args.rounds} rounds, "
        f"concurrency {args.concurrency}; topic {profile.topic}",
        flush=True,
    )
    with contextlib.ExitStack() as stack:
        tree = stack.enter_context(worktree(rev))
        measured = stack.enter_context(worktree(args.rev)) if args.rev else None
        spy = args.py_spy
        if spy is not None:
            spy.mkdir(parents=True, exist_ok=True)
        async with (
            receiver(f"baseline {rev}", kafka, tree) as before,
            receiver(label, kafka, measured) as after,
        ):
            pair = [before, after]
            for target in pair:  # warm-up: connections, imports, Kafka metadata
                await drive_http(f"{target.url}/api/v1/logs", headers, bodies[:10], 2)
            async with (
                profiled(before, spy and spy / "baseline.txt"),
                profiled(after, spy and spy / "current.txt"),
            ):
                for round_ in range(args.rounds):
                    for target in pair if round_ % 2 == 0 else pair[::-1]:
                        cpu_before = tree_cpu_seconds(target.pid)
                        await drive_http(
                            f"{target.url}/api/v1/logs", headers, bodies, args.concurrency
                        )
                        cpu = tree_cpu_seconds(target.pid) - cpu_before
                        target.events += events
                        target.cpu += cpu
                        target.rounds.append(events / cpu)
        for target in pair:
            rates = " / ".join(f"{rate:,.0f}" for rate in target.rounds)
            print(
                f"{target.label:<18} {target.events / target.cpu:>10,.0f} events/CPU-s "
                f"(rounds: {rates})",
                flush=True,
            )
        ratio = (after.events / after.cpu) / (before.events / before.cpu)
        print(f"ratio {label} / baseline {rev}: {ratio:.2f}", flush=True)
        for target in pair:
            if target.profile is not None and target.profile.exists():
                print(f"py-spy, {target.label}:")
                print("\n".join(summarise(target.profile, args.top)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
