"""`barito stack up|down|status|logs`: the engines as a whole."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from barito_cli.stack.config import StackConfig, StackError
from barito_cli.stack.engines import ALL_ENGINE_NAMES, ENGINE_NAMES, Engine, engine_for
from barito_cli.stack.processes import running_pid, start_process, stop_process
from barito_cli.stack.secure_stack import SECURE_ENGINE_NAMES, secure_engine_for

__all__ = [
    "EngineStatus",
    "default_engine_names",
    "engine_of",
    "log_tail",
    "running_engines",
    "stack_down",
    "stack_status",
    "stack_up",
    "start_engines",
]

Echo = Callable[[str], None]


@dataclass(frozen=True)
class EngineStatus:
    name: str
    pid: int | None
    url: str
    problem: str | None

    @property
    def ready(self) -> bool:
        return self.pid is not None and self.problem is None


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def engine_of(name: str, config: StackConfig) -> Engine:
    """The engine ``name`` of ``config``: the secured one on the secured stack."""
    if config.is_secure:
        return secure_engine_for(name, config)
    return engine_for(name, config)


def default_engine_names(config: StackConfig) -> tuple[str, ...]:
    """The engines ``up`` starts when none is named."""
    return SECURE_ENGINE_NAMES if config.is_secure else ENGINE_NAMES


def log_tail(config: StackConfig, name: str, lines: int = 40) -> str:
    path = config.log_file(name)
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _start(engine: Engine, echo: Echo, *, fresh: bool) -> None:
    config = engine.config
    if running_pid(config.pid_file(engine.name)) is not None:
        echo(f"{engine.name}: already running")
        return
    if _port_taken(engine.port):
        raise StackError(
            f"{engine.name}: port {engine.port} is taken by a process this stack did not start; "
            "stop it or change the port in deploy/local/stack.yaml"
        )
    if fresh:
        echo(f"{engine.name}: forgetting the data of its last run")
        engine.forget()
    echo(f"{engine.name}: preparing")
    launch = engine.prepare()
    start_process(
        launch.argv,
        pid_file=config.pid_file(engine.name),
        log_file=config.log_file(engine.name),
        env=launch.env,
        cwd=launch.cwd,
    )
    echo(f"{engine.name}: started, log at {config.log_file(engine.name)}")


def stack_up(
    config: StackConfig,
    names: Iterable[str] | None = None,
    *,
    echo: Echo,
    timeout_s: float = 240,
    fresh: bool = False,
) -> list[EngineStatus]:
    """Start what is not running and wait until every engine answers its real check.

    ``fresh`` starts each engine that was not running from empty data: a test
    run must not inherit the topics and indices of every run before it, which
    on a reused machine grow until Kafka cannot even load them in time.
    """
    names = tuple(names or default_engine_names(config))
    start_engines(
        [engine_of(name, config) for name in names], echo=echo, timeout_s=timeout_s, fresh=fresh
    )
    return stack_status(config, names)


def start_engines(
    engines: Sequence[Engine], *, echo: Echo, timeout_s: float = 240, fresh: bool = False
) -> None:
    """:func:`stack_up` for engine objects, e.g. a test's own variant of one (same config)."""
    if not engines:
        return
    config = engines[0].config
    for directory in (config.cache_dir, config.state_dir):
        directory.mkdir(parents=True, exist_ok=True)
        # The unprivileged engines must reach their files through these folders:
        # bits are added, never taken (a cache under /tmp keeps /tmp's 1777).
        for folder in (directory, directory.parent):
            folder.chmod(folder.stat().st_mode | 0o755)
    for engine in engines:
        _start(engine, echo, fresh=fresh)
    waiting = {engine.name: engine for engine in engines}
    deadline = time.monotonic() + timeout_s
    problems: dict[str, str] = {}
    while waiting:
        for name, engine in list(waiting.items()):
            if running_pid(config.pid_file(name)) is None:
                raise StackError(
                    f"{name} exited while starting; its log ends:\n" + log_tail(config, name)
                )
            problem = engine.probe()
            if problem is None:
                echo(f"{name}: ready at {engine.url}")
                del waiting[name]
            else:
                problems[name] = problem
        if waiting and time.monotonic() > deadline:
            name = next(iter(waiting))
            raise StackError(
                f"{name} did not become ready within {timeout_s:g}s ({problems.get(name)}); "
                "its log ends:\n" + log_tail(config, name)
            )
        if waiting:
            time.sleep(1)


def running_engines(config: StackConfig) -> list[str]:
    """The default engines, and the optional ones that are running (what `down` stops)."""
    defaults = default_engine_names(config)
    return [
        name
        for name in ALL_ENGINE_NAMES
        if name in defaults or running_pid(config.pid_file(name)) is not None
    ]


def stack_down(config: StackConfig, names: Iterable[str] = ENGINE_NAMES, *, echo: Echo) -> None:
    for name in names:
        if stop_process(config.pid_file(name)):
            echo(f"{name}: stopped")
        else:
            echo(f"{name}: was not running")


def stack_status(config: StackConfig, names: Iterable[str] | None = None) -> list[EngineStatus]:
    statuses = []
    for name in names or default_engine_names(config):
        engine = engine_of(name, config)
        pid = running_pid(config.pid_file(name))
        problem = "not running" if pid is None else engine.probe()
        statuses.append(EngineStatus(name, pid, engine.url, problem))
    return statuses
