"""The five services as real processes, for the web UI's browser tests and the canary's.

Each run gets its own ports, Kafka topic prefix, search index prefix, flow
and provisioner consumer groups and Postgres database, so it shares nothing
with `make up` or other tests. The market serves the built SPA
(services/market/web/dist) and shows endpoints that point at this run's
receiver and tail server::

    with web_stack(stack, logs_dir) as services:
        page.goto(services.market_url)
        services.restart("flow", signal.SIGKILL)   # a fault: killed, started again
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from barito_cli.stack.ingest_listeners import LISTENERS, ingest_listener_environment
from barito_common.settings import DatabaseSettings, KafkaSettings
from barito_market.admin import create_user
from barito_market.settings import MarketSettings
from barito_testing.market import create_database, drop_database
from barito_testing.ports import free_port

__all__ = ["WebStack", "web_stack"]

SERVICES = ("market", "receiver", "flow", "provisioner", "server")


@dataclass
class _Processes:
    """The services' processes, each started again on its own port and log file when asked."""

    environments: dict[str, dict[str, str]]
    ports: dict[str, int]
    logs_dir: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str) -> None:
        # Appended to, so a restarted service's log keeps what came before.
        with (self.logs_dir / f"{name}.log").open("ab") as out:
            self.running[name] = subprocess.Popen(
                [sys.executable, "-m", f"barito_{name}.main"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.environments[name], "BARITO_PORT": str(self.ports[name])},
            )

    def wait_ready(self, name: str) -> None:
        _wait_ready(name, self.url(name), self.running[name], self.logs_dir / f"{name}.log")


@dataclass(frozen=True)
class WebStack:
    urls: dict[str, str]
    admin_email: str
    admin_password: str
    processes: _Processes
    run: str
    """This run's name: its topic prefix is ``<run>.``, its index prefix ``<run>-``."""

    @property
    def market_url(self) -> str:
        return self.urls["market"]

    @property
    def receiver_url(self) -> str:
        return self.urls["receiver"]

    def restart(self, name: str, signum: int = signal.SIGTERM) -> None:
        """Signal a service (SIGKILL: no clean-up at all), start it again, wait until ready."""
        process = self.processes.running[name]
        process.send_signal(signum)
        process.wait(timeout=30)
        self.processes.start(name)
        self.processes.wait_ready(name)


def _environments(
    stack: Any, ports: dict[str, int], *, run: str, database_url: str, data_dir: Path
) -> dict[str, dict[str, str]]:
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    common = {
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "BARITO_KAFKA__TOPIC_PREFIX": f"{run}.",
    }
    search = {
        "BARITO_SEARCH__URL": stack.elasticsearch_url,
        "BARITO_SEARCH__ENGINE": "elasticsearch",
        "BARITO_SEARCH__INDEX_PREFIX": f"{run}-",
    }
    # The market seals forward keys and alert channels' secrets under it; the receiver
    # and the server open them: the same one.
    sealing = {"BARITO_INSTALLATION_KEY": secrets.token_urlsafe(48)}
    # Short usage windows, so the status page's numbers move within seconds.
    return {
        "market": {
            **common,
            **search,
            "BARITO_DATABASE__URL": database_url,
            "BARITO_DATA_DIR": str(data_dir / "market"),
            "BARITO_INGEST_URL_TEMPLATE": f"{url['receiver']}/api/v1/logs",
            "BARITO_TAIL_URL_TEMPLATE": f"{url['server']}/api/v1/tail/{{app}}",
            "BARITO_VIEWER_URL_TEMPLATE": "http://{app}.{group}.logs.localhost:5601",
            **sealing,
        },
        "receiver": {**common, **sealing, "BARITO_USAGE_WINDOW_S": "1"},
        "flow": {
            **common,
            **search,
            "BARITO_GROUP_ID": f"{run}-flow",
            "BARITO_USAGE_WINDOW_S": "1",
        },
        "provisioner": {
            **common,
            **search,
            "BARITO_DRIVER": "shared",
            "BARITO_CONSUMER_GROUP": f"{run}-provisioner",
            "BARITO_SHARED__FLOW_URL": url["flow"],
        },
        "server": {**common, **sealing, "BARITO_MARKET_URL": url["market"]},
    }


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to the end from sync code, even when this thread has a loop running."""
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, coroutine).result()


def _wait_ready(name: str, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited; its log ends:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            response = httpx.get(f"{url}/readyz", timeout=5)
            if response.status_code == 200:
                return
            last = response.text
        time.sleep(0.5)
    raise RuntimeError(f"{name} is not ready after 120 s: {last}")


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def web_stack(
    stack: Any, logs_dir: Path, *, overrides: dict[str, dict[str, str]] | None = None
) -> Iterator[WebStack]:
    """The five services; ``overrides`` adds or replaces variables of named services."""
    run = f"web{uuid.uuid4().hex[:8]}"
    database = f"market_{run}"
    server = stack.postgres_url.rsplit("/", 1)[0]
    database_url = f"{server}/{database}".replace("postgresql://", "postgresql+asyncpg://", 1)
    _run(create_database(stack.postgres_url, database))
    ports = {name: free_port() for name in SERVICES}
    environments = _environments(
        stack, ports, run=run, database_url=database_url, data_dir=logs_dir
    )
    # The receiver's TCP listeners on free ports of their own; the market shows them.
    listeners = {name: free_port() for name in LISTENERS}
    for name in ("market", "receiver"):
        environments[name] |= ingest_listener_environment(
            name, receiver_url=f"http://127.0.0.1:{ports['receiver']}", ports=listeners, tls=False
        )
    for name, variables in (overrides or {}).items():
        environments[name].update(variables)
    logs_dir.mkdir(parents=True, exist_ok=True)
    for name in SERVICES:
        (logs_dir / f"{name}.log").unlink(missing_ok=True)
    processes = _Processes(environments, ports, logs_dir)
    try:
        for name in SERVICES:
            processes.start(name)
        urls = {name: processes.url(name) for name in SERVICES}
        for name in SERVICES:
            processes.wait_ready(name)
        admin_email, admin_password = f"admin@{run}.test", secrets.token_urlsafe(12)
        settings = MarketSettings(
            kafka=KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"{run}."),
            database=DatabaseSettings(url=database_url),
        )
        _run(create_user(settings, email=admin_email, password=admin_password, superadmin=True))
        yield WebStack(urls, admin_email, admin_password, processes, run)
    finally:
        _stop(processes.running)
        _run(drop_database(stack.postgres_url, database))
