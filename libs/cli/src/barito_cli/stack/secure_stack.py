"""The secured local stack (``barito stack up --secure``): its engines and its services' settings.

Each secured engine subclasses the plain one (``barito_cli.stack.engines``)
and takes the stack's :class:`~barito_cli.stack.secure_material.SecureMaterial`
(one CA, certificates, passwords, kept under ``<secured state_dir>/secure``).
Beside the plain engine's ``prepare`` and ``probe`` it has:

* ``client_settings()`` — the settings model a Barito client reaches it with,
  secrets as values;
* ``service_environment()`` — the ``BARITO_*`` variables a service reaches
  it with, secrets as ``..._FILE`` paths, as a Kubernetes Secret is mounted.

:func:`secure_service_environment` puts them together for each of the five
services, which on the secured stack also serve TLS themselves and reach one
another over https.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Protocol, cast

from barito_cli.stack.config import StackConfig, StackError
from barito_cli.stack.engines import ENGINE_NAMES, Engine
from barito_cli.stack.ingest_listeners import ingest_listener_environment, listener_ports
from barito_cli.stack.installation_key import installation_key_environment
from barito_cli.stack.processes import running_pid
from barito_cli.stack.secure_kafka import SecuredKafkaEngine
from barito_cli.stack.secure_material import SecureMaterial
from barito_cli.stack.secure_postgres import SecuredPostgresEngine
from barito_cli.stack.secure_search import SecuredElasticsearchEngine, SecuredOpenSearchEngine

__all__ = [
    "SECURE_ENGINES",
    "SECURE_ENGINE_NAMES",
    "SecuredEngine",
    "forget_secure_material",
    "secure_engine_for",
    "secure_material",
    "secure_service_environment",
    "service_url",
]


class SecuredEngine(Protocol):
    """What a secured engine has beyond :class:`~barito_cli.stack.engines.Engine`."""

    material: SecureMaterial

    def service_environment(self) -> dict[str, str]: ...


SecuredEngineClass = Callable[[StackConfig, SecureMaterial], Engine]

SECURE_ENGINES: dict[str, SecuredEngineClass] = {
    "kafka": SecuredKafkaEngine,
    "elasticsearch": SecuredElasticsearchEngine,
    "opensearch": SecuredOpenSearchEngine,
    "postgres": SecuredPostgresEngine,
}
SECURE_ENGINE_NAMES = tuple(name for name in ENGINE_NAMES if name in SECURE_ENGINES)

# The services whose search engine is the stack's Elasticsearch, as on the plain stack.
_SEARCHING = ("flow", "market", "provisioner")


def secure_material(config: StackConfig) -> SecureMaterial:
    """The secured stack's CA, certificates and passwords (made on first use)."""
    return SecureMaterial(config.state_dir / "secure")


def secure_engine_for(name: str, config: StackConfig) -> Engine:
    """The secured engine ``name`` of ``config`` (``load_config().secured()``)."""
    if not config.is_secure:
        raise StackError(f"the secured {name} needs the secured stack's config (.secured())")
    try:
        engine_class = SECURE_ENGINES[name]
    except KeyError:
        raise StackError(
            f"no secured engine {name!r}; the secured stack has: {', '.join(SECURE_ENGINES)}"
        ) from None
    return engine_class(config, secure_material(config))


def forget_secure_material(config: StackConfig) -> str:
    """Drop the CA, certificates and passwords (``--fresh``), unless an engine still uses them.

    A running engine serves a certificate of that CA and knows those
    passwords: forgetting them under it would leave every client of it locked out.
    """
    running = [name for name in SECURE_ENGINES if running_pid(config.pid_file(name)) is not None]
    material = secure_material(config).directory
    if running:
        return (
            f"the secure material at {material} is kept: {', '.join(running)} still "
            "uses it (barito stack down --secure first to forget it)"
        )
    shutil.rmtree(material, ignore_errors=True)
    return f"forgot the secure material (CA, certificates, passwords) at {material}"


def service_url(config: StackConfig, service: str) -> str:
    """Where a service of the secured stack answers: https, on its port of stack.yaml."""
    return f"https://127.0.0.1:{config.engines['services'][service]}"


def _engine_environment(name: str, config: StackConfig) -> dict[str, str]:
    return cast(SecuredEngine, secure_engine_for(name, config)).service_environment()


def secure_service_environment(config: StackConfig, service: str) -> dict[str, str]:
    """The ``BARITO_*`` variables of ``service`` on the secured stack.

    Each engine it uses gives its own part (secrets as ``_FILE`` paths); the
    service serves TLS with the stack's ``services`` certificate; and the
    services that call another one (the server asks the market) trust the
    stack's CA through ``SSL_CERT_FILE``, which their HTTP client (httpx) reads
    in place of the system's trust store.
    """
    material = secure_material(config)
    certificate = material.certificate("services")
    env = {
        "BARITO_PORT": str(config.engines["services"][service]),
        "BARITO_TLS_CERTFILE": str(certificate.certfile),
        "BARITO_TLS_KEYFILE": str(certificate.keyfile),
        "SSL_CERT_FILE": str(material.cafile),
        **_engine_environment("kafka", config),
    }
    if service in _SEARCHING:
        env.update(_engine_environment("elasticsearch", config))
    if service == "market":
        env.update(_engine_environment("postgres", config))
        env["BARITO_DATA_DIR"] = str(config.state_dir / "market")
        # What the market shows app owners: the secured receiver's and server's https.
        env["BARITO_INGEST_URL_TEMPLATE"] = f"{service_url(config, 'receiver')}/api/v1/logs"
        env["BARITO_TAIL_URL_TEMPLATE"] = f"{service_url(config, 'server')}/api/v1/tail/{{app}}"
    if service == "server":
        env["BARITO_MARKET_URL"] = service_url(config, "market")
    ports = listener_ports(config.engines["services"]["receiver"])
    receiver = service_url(config, "receiver")
    env.update(ingest_listener_environment(service, receiver_url=receiver, ports=ports, tls=True))
    env.update(installation_key_environment(config, service))
    return env
