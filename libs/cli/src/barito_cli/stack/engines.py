"""The four engines of the local stack, each with how to fetch, start and probe it.

An engine's ``probe`` is a real check (Kafka metadata, ``_cluster/health``
yellow, ``pg_isready``), never a sleep: ``up`` returns when every engine
answers, or fails with the tail of the log of the one that did not.
"""

from __future__ import annotations

import asyncio
import base64
import glob
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from barito_cli.stack.config import StackConfig, StackError
from barito_cli.stack.downloads import fetch_kafka_classpath, fetch_zip_distribution
from barito_cli.stack.processes import chown_to_unprivileged, drop_privileges_prefix

if TYPE_CHECKING:
    from barito_common.settings import KafkaSettings

__all__ = ["ALL_ENGINE_NAMES", "ENGINE_NAMES", "OPTIONAL_ENGINES", "Engine", "Launch", "engine_for"]


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: dict[str, str]
    cwd: Path | None = None


class Engine:
    name: str

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.settings = config.engines[self.name]
        self.home = config.engine_dir(self.name)

    @property
    def port(self) -> int:
        return int(self.settings["port"])

    @property
    def url(self) -> str:
        raise NotImplementedError

    def forget(self) -> None:
        """Drop the engine's data and configuration, so its next start is a first one."""
        shutil.rmtree(self.home, ignore_errors=True)

    def prepare(self) -> Launch:
        """Fetch what is missing, write configuration, return how to start it."""
        raise NotImplementedError

    def probe(self) -> str | None:
        """None when the engine answers; otherwise why not."""
        raise NotImplementedError


class KafkaEngine(Engine):
    """The stack's Kafka: one KRaft process, plaintext on loopback.

    Three hooks let a test start a Kafka secured otherwise from the same jars
    (``barito_cli.stack.secure_kafka``): :meth:`listener_properties`,
    :meth:`format_arguments` and :meth:`client_settings`.
    """

    name = "kafka"

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"

    def listener_properties(self) -> list[str]:
        """The listener lines of server.properties: plaintext, on loopback."""
        controller = self.settings["controller_port"]
        return [
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{controller}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
        ]

    def format_arguments(self) -> list[str]:
        """Further arguments of the first storage format (e.g. ``--add-scram``); none here."""
        return []

    def client_settings(self) -> KafkaSettings:
        """How a client reaches this Kafka; the probe uses it."""
        from barito_common.settings import KafkaSettings

        return KafkaSettings(bootstrap_servers=self.url)

    def prepare(self) -> Launch:
        version = self.settings["version"]
        libs = fetch_kafka_classpath(
            self.config.definition_dir / "kafka" / "pom.xml",
            self.config.cache_dir / f"kafka-{version}" / "libs",
        )
        java = str(self.config.java_home(self.name) / "bin" / "java")
        data = self.home / "data"
        properties = self.home / "server.properties"
        self.home.mkdir(parents=True, exist_ok=True)
        controller = self.settings["controller_port"]
        properties.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{controller}",
                    *self.listener_properties(),
                    f"log.dirs={data}",
                    # One broker: internal topics cannot have more replicas than that.
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    # Tests create and join many groups; no reason to wait 3 s each time.
                    "group.initial.rebalance.delay.ms=0",
                    # Topics are created on purpose (provisioner, tests), never by a typo.
                    "auto.create.topics.enable=false",
                    # Room for a 1 MiB chunk plus its record headers (log_topic_spec).
                    "message.max.bytes=2097152",
                    "",
                ]
            )
        )
        classpath = f"{libs}/*"
        if not (data / "meta.properties").exists():
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            result = subprocess.run(
                [java, "-cp", classpath, "kafka.tools.StorageTool", "format",
                 # One argument, "=" joined: an id starting with "-" (1 in 64)
                 # would otherwise be read as an option.
                 f"--cluster-id={cluster_id}", "-c", str(properties), *self.format_arguments()],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if result.returncode != 0:
                raise StackError(
                    f"formatting Kafka's storage failed:\n{result.stdout}{result.stderr}"
                )
        log4j = self.config.definition_dir / "kafka" / "log4j2.properties"
        heap = self.settings["heap"]
        return Launch(
            argv=[
                java, f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC",
                f"-Dlog4j2.configurationFile={log4j}",
                "-cp", classpath, "kafka.Kafka", str(properties),
            ],
            env={},
        )  # fmt: skip

    def probe(self) -> str | None:
        import logging

        from barito_common.kafka import KafkaProbe

        # aiokafka logs every refused connection; while waiting, that is expected.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

        async def check() -> None:
            probe = KafkaProbe(self.client_settings(), timeout_s=3)
            try:
                await probe.check()
            finally:
                await probe.close()

        try:
            asyncio.run(check())
        except Exception as err:
            return str(err)
        return None


class SearchEngine(Engine):
    """Elasticsearch and OpenSearch start the same way under different names."""

    env_prefix: str
    yml_name: str
    extra_settings: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def distribution(self) -> Path:
        """The unpacked engine to run; a secured engine adds its security plugin."""
        return fetch_zip_distribution(
            self.settings["artifact"],
            self.config.cache_dir / f"{self.name}-{self.settings['version']}",
        )

    def engine_settings(self) -> list[str]:
        """Lines of the engine's yml beyond the stack's common ones."""
        return list(self.extra_settings)

    def prepare(self) -> Launch:
        dist = self.distribution()
        conf, data, logs, tmp = (self.home / d for d in ("config", "data", "logs", "tmp"))
        if not conf.exists():
            shutil.copytree(dist / "config", conf)
        for directory in (data, logs, tmp):
            directory.mkdir(parents=True, exist_ok=True)
        # The shipped jvm.options write gc.log and heap dumps under a relative
        # logs/ folder inside the distribution, which the engine's user cannot write.
        jvm_options = (dist / "config" / "jvm.options").read_text()
        (conf / "jvm.options").write_text(re.sub(r"(?<=[=:])logs/", f"{logs}/", jvm_options))
        (conf / self.yml_name).write_text(
            "\n".join(
                [
                    "cluster.name: barito-local",
                    "node.name: local-0",
                    "discovery.type: single-node",
                    "network.host: 127.0.0.1",
                    f"http.port: {self.port}",
                    f"transport.port: {self.settings['transport_port']}",
                    f"path.data: {data}",
                    f"path.logs: {logs}",
                    # A development disk is often fuller than the watermarks allow;
                    # the stack must not turn read-only because of it.
                    "cluster.routing.allocation.disk.threshold_enabled: false",
                    # Tests and retention delete indices by pattern.
                    "action.destructive_requires_name: false",
                    *self.engine_settings(),
                    "",
                ]
            )
        )
        chown_to_unprivileged(self.home)
        heap = self.settings["heap"]
        prefix = self.env_prefix
        return Launch(
            argv=[*drop_privileges_prefix(), str(dist / "bin" / self.name)],
            env={
                f"{prefix}_JAVA_HOME": str(self.config.java_home(self.name)),
                f"{prefix}_PATH_CONF": str(conf),
                f"{prefix}_JAVA_OPTS": f"-Xms{heap} -Xmx{heap}",
                f"{prefix}_TMPDIR": str(tmp),
                "JAVA_HOME": str(self.config.java_home(self.name)),
            },
            cwd=dist,
        )

    def probe(self) -> str | None:
        try:
            response = httpx.get(
                f"{self.url}/_cluster/health",
                params={"wait_for_status": "yellow", "timeout": "1s"},
                timeout=5,
            )
        except httpx.HTTPError as err:
            return f"{self.url} does not answer ({type(err).__name__})"
        if response.status_code != 200:
            return f"cluster health is {response.status_code}: {response.text[:200]}"
        return None


class ElasticsearchEngine(SearchEngine):
    name = "elasticsearch"
    env_prefix = "ES"
    yml_name = "elasticsearch.yml"
    extra_settings = ("xpack.security.enabled: false",)


class OpenSearchEngine(SearchEngine):
    name = "opensearch"
    env_prefix = "OPENSEARCH"
    yml_name = "opensearch.yml"


class PostgresEngine(Engine):
    """The stack's Postgres: any local client trusted. Two hooks let the secured
    stack's variant (``barito_cli.stack.secure_postgres``) ask for passwords and TLS."""

    name = "postgres"

    def initdb_arguments(self) -> list[str]:
        """How the first initdb authenticates clients: it trusts them all."""
        return ["--auth=trust"]

    def psql_environment(self) -> dict[str, str]:
        """libpq's variables for the probe's psql (TLS, password); none here."""
        return {}

    @property
    def url(self) -> str:
        s = self.settings
        return f"postgresql://{s['user']}@127.0.0.1:{self.port}/{s['database']}"

    def _bin(self, program: str) -> str:
        found = shutil.which(program) or next(
            iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), reverse=True)), None
        )
        if found is None:
            raise StackError(
                f"Postgres' {program} is missing: apt-get install postgresql "
                "(the market falls back to SQLite when run without the stack)"
            )
        return found

    def prepare(self) -> Launch:
        data, sockets = self.home / "data", self.home / "sockets"
        self.home.mkdir(parents=True, exist_ok=True)
        sockets.mkdir(exist_ok=True)
        if not (data / "PG_VERSION").exists():
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir()
            chown_to_unprivileged(self.home)
            result = subprocess.run(
                [*drop_privileges_prefix(), self._bin("initdb"), "-D", str(data),
                 "-U", self.settings["user"], *self.initdb_arguments(), "-E", "UTF8",
                 "--no-instructions"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if result.returncode != 0:
                raise StackError(f"initdb failed:\n{result.stdout}{result.stderr}")
        chown_to_unprivileged(self.home)
        return Launch(
            argv=[
                *drop_privileges_prefix(), self._bin("postgres"), "-D", str(data),
                "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
                "-k", str(sockets), "-c", "fsync=off",
            ],
            env={},
        )  # fmt: skip

    def probe(self) -> str | None:
        result = subprocess.run(
            [self._bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            return f"pg_isready: {result.stdout.strip()}"
        return self._ensure_database()

    def _ensure_database(self) -> str | None:
        psql = [self._bin("psql"), "-h", "127.0.0.1", "-p", str(self.port),
                "-U", self.settings["user"], "-d", "postgres", "-tAc"]  # fmt: skip
        name = self.settings["database"]
        env = {**os.environ, **self.psql_environment()}
        exists = subprocess.run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            capture_output=True, text=True, check=False, env=env,
        )  # fmt: skip
        if exists.returncode != 0:
            return exists.stderr.strip()
        if exists.stdout.strip() != "1":
            created = subprocess.run(
                [*psql, f'CREATE DATABASE "{name}"'],
                capture_output=True, text=True, check=False, env=env,
            )  # fmt: skip
            if created.returncode != 0:
                return created.stderr.strip()
        return None


ENGINES: dict[str, type[Engine]] = {
    engine.name: engine
    for engine in (KafkaEngine, ElasticsearchEngine, OpenSearchEngine, PostgresEngine)
}
ENGINE_NAMES = tuple(ENGINES)

# Started only when asked for (`barito stack up --with kubernetes|oidc`); imported
# here, below Engine, because their modules build on it.
from barito_cli.stack.keycloak import KEYCLOAK_ENGINES  # noqa: E402
from barito_cli.stack.kubernetes import KUBERNETES_ENGINES  # noqa: E402

OPTIONAL_ENGINES: dict[str, tuple[str, ...]] = {
    "kubernetes": tuple(engine.name for engine in KUBERNETES_ENGINES),
    "oidc": tuple(engine.name for engine in KEYCLOAK_ENGINES),
}
ENGINES.update({engine.name: engine for engine in (*KUBERNETES_ENGINES, *KEYCLOAK_ENGINES)})
ALL_ENGINE_NAMES = tuple(ENGINES)


def engine_for(name: str, config: StackConfig) -> Engine:
    try:
        return ENGINES[name](config)
    except KeyError:
        raise StackError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}") from None
