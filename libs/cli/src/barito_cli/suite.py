"""`barito up|down|status`: the five services on top of the local stack."""

from __future__ import annotations

import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from barito_cli.market_admin import MarketAdminError, run_market_admin
from barito_cli.stack.config import StackConfig, StackError
from barito_cli.stack.engines import engine_for
from barito_cli.stack.ingest_listeners import ingest_listener_environment, listener_ports
from barito_cli.stack.installation_key import installation_key_environment
from barito_cli.stack.keycloak_realm import oidc_market_environment
from barito_cli.stack.manager import log_tail
from barito_cli.stack.processes import running_pid, start_process, stop_process
from barito_cli.stack.secure_stack import (
    secure_material,
    secure_service_environment,
    service_url,
)

__all__ = [
    "SERVICES",
    "ServiceStatus",
    "service_environment",
    "suite_down",
    "suite_status",
    "suite_up",
]

SERVICES = ("market", "receiver", "provisioner", "flow", "server")

Echo = Callable[[str], None]


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    url: str
    readiness: str


def _url(config: StackConfig, service: str) -> str:
    if config.is_secure:
        return service_url(config, service)
    return f"http://127.0.0.1:{config.engines['services'][service]}"


def service_environment(config: StackConfig, service: str) -> dict[str, str]:
    """The BARITO_ settings that point a service at the local stack (or the secured one)."""
    if config.is_secure:
        return secure_service_environment(config, service)
    env = {
        "BARITO_PORT": str(config.engines["services"][service]),
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": engine_for("kafka", config).url,
    }
    if service in ("flow", "market", "provisioner"):
        env["BARITO_SEARCH__URL"] = engine_for("elasticsearch", config).url
        env["BARITO_SEARCH__ENGINE"] = "elasticsearch"
    if service == "market":
        postgres = engine_for("postgres", config).url
        env["BARITO_DATABASE__URL"] = postgres.replace("postgresql://", "postgresql+asyncpg://")
        env["BARITO_DATA_DIR"] = str(config.state_dir / "market")
        env.update(oidc_market_environment(config))
    if service == "server":
        env["BARITO_MARKET_URL"] = _url(config, "market")
        # The market serves the web UI: alert notifications link to it.
        env["BARITO_WEB_URL"] = _url(config, "market")
    ports = listener_ports(config.engines["services"]["receiver"])
    receiver = _url(config, "receiver")
    env.update(ingest_listener_environment(service, receiver_url=receiver, ports=ports, tls=False))
    env.update(installation_key_environment(config, service))
    return env


def _readiness(config: StackConfig, url: str) -> str:
    # A secured service's certificate is the secured stack's; nothing else vouches for it.
    verify: ssl.SSLContext | bool = True
    if config.is_secure:
        verify = ssl.create_default_context(cafile=secure_material(config).cafile)
    try:
        response = httpx.get(f"{url}/readyz", timeout=5, verify=verify)
    except httpx.HTTPError as err:
        return f"not answering ({type(err).__name__})"
    if response.status_code == 200:
        return "ready"
    return str(response.json().get("error", {}).get("message", response.status_code))


def suite_up(config: StackConfig, *, echo: Echo, timeout_s: float = 60) -> list[ServiceStatus]:
    for service in SERVICES:
        pid_file = config.pid_file(service)
        if running_pid(pid_file) is not None:
            echo(f"{service}: already running")
            continue
        start_process(
            [sys.executable, "-m", f"barito_{service}.main"],
            pid_file=pid_file,
            log_file=config.log_file(service),
            env=service_environment(config, service),
        )
    deadline = time.monotonic() + timeout_s
    for service in SERVICES:
        while (readiness := _readiness(config, _url(config, service))) != "ready":
            if running_pid(config.pid_file(service)) is None:
                raise StackError(f"{service} exited; its log ends:\n{log_tail(config, service)}")
            if time.monotonic() > deadline:
                raise StackError(f"{service} is not ready after {timeout_s:g}s: {readiness}")
            time.sleep(0.5)
        echo(f"{service}: ready at {_url(config, service)}")
    _announce_first_admin(config, echo)
    return suite_status(config)


def _announce_first_admin(config: StackConfig, echo: Echo) -> None:
    # The market's own command: created once, the password kept in the stack's state.
    credentials = config.state_dir / "market" / "first-admin"
    command = ["first-admin", "--credentials-file", str(credentials)]
    try:
        echo(f"market: {run_market_admin(command, service_environment(config, 'market'))}")
    except MarketAdminError as err:
        raise StackError(f"market: the first superadmin could not be made: {err}") from err


def suite_down(config: StackConfig, *, echo: Echo) -> None:
    for service in SERVICES:
        if stop_process(config.pid_file(service), timeout_s=15):
            echo(f"{service}: stopped")


def suite_status(config: StackConfig) -> list[ServiceStatus]:
    statuses = []
    for service in SERVICES:
        pid = running_pid(config.pid_file(service))
        url = _url(config, service)
        readiness = _readiness(config, url) if pid else "not running"
        statuses.append(ServiceStatus(service, pid, url, readiness))
    return statuses
