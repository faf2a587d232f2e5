"""The Helm chart pointing Barito at secured engines, their secrets mounted as files.

``ci/secured-engines-values.yaml`` turns everything on: Kafka over SASL_SSL
(SCRAM-SHA-512) with a private CA, Elasticsearch over https with an API key
and its CA, Postgres with verify-full and its CA. Each secret is a key of a
Secret the operator makes; the chart projects it as a read-only file into the
services that reach that engine and names the file in a ``..._FILE`` or
``..._SSL_CAFILE`` setting.

What is proved, with the real ``helm`` and the services' own settings
classes: the Secret keys a Deployment projects are written where its
container would see them (``tests/support/chart_pods.py``), each service's
settings are built from its variables as at start-up (reading those files),
and every secret setting holds the value of the Secret key meant for it,
every CA path names the CA key's file. No secret sits in a ConfigMap or a
plain ``value:``, and a service gets no Secret of an engine it does not reach
(which engines it reaches is read from its settings class). The examples of
docs/deploy.md's "Secured engines" (the values, the ``docker run`` command,
the Compose file read by compose-go) are rendered and built the same way, so
they stay true.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.chart_pods import (
    ContainerView,
    container_view,
    file_settings,
    secret_store,
)
from tests.support.deploy import (
    CHART,
    PRODUCTION_VALUES,
    REPO,
    SECURED_ENGINES_VALUES,
    SERVICE_TLS_VALUES,
    SETTINGS,
    compose_project,
    load_json,
    render_chart,
    run_helm,
    secret_setting_names,
    settings_from,
)

pytestmark = pytest.mark.timeout(1800)

SECURED = ["-f", str(SECURED_ENGINES_VALUES)]
# Kafka over TLS alone with a client certificate (mutual TLS), OpenSearch
# with a user whose password is a Secret file.
MUTUAL_TLS_AND_BASIC_AUTH = [
    "--set", "kafka.securityProtocol=SSL",
    "--set", "kafka.caSecret.name=barito-kafka-ca",
    "--set", "kafka.clientCertificateSecret=barito-kafka-client",
    "--set", "search.engine=opensearch",
    "--set", "search.url=https://opensearch.data.svc:9200",
    "--set", "search.username=barito",
    "--set", "search.passwordSecret.name=barito-elasticsearch",
    "--set", "search.caSecret.name=barito-elasticsearch",
    "--set", "search.caSecret.key=http_ca.crt",
]  # fmt: skip
RENDERINGS = {
    "default": [],
    "production": ["-f", str(PRODUCTION_VALUES)],
    "service-tls": ["-f", str(SERVICE_TLS_VALUES), "--set", "canary.enabled=false"],
    "secured-engines": SECURED,
    "mutual-tls-and-basic-auth": MUTUAL_TLS_AND_BASIC_AUTH,
}
# The Secrets ci/secured-engines-values.yaml names, by the engine they are for.
ENGINE_SECRETS = {
    "kafka": {"barito-kafka", "barito-kafka-ca"},
    "search": {"barito-elasticsearch"},
    "database": {"barito-postgres", "barito-postgres-ca"},
}
MOUNT_MODE = 0o440  # the pod's group (fsGroup) reads, others do not


@pytest.fixture(scope="module", params=list(RENDERINGS))
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    name: str = request.param
    return name, render_chart(*RENDERINGS[name])


def _engines(service: str) -> set[str]:
    """The engines a service reaches, from its settings class: every service has Kafka."""
    fields = SETTINGS[service].model_fields
    return {"kafka"} | {engine for engine in ("search", "database") if engine in fields}


def _started(objects: list[dict[str, Any]], service: str, root: Path) -> tuple[ContainerView, Any]:
    """The service's container and the settings it builds at start-up, reading its files.

    The settings are ``Any``: which fragments (search, database) they have
    depends on the service.
    """
    store = secret_store(objects)
    view = container_view(objects, service, store)
    env = view.materialize(store, root / service)
    return view, settings_from(SETTINGS[service], env)


def _from_file(text: str) -> str:
    # What the service reads from a mounted file: the text less one line break.
    return text.removesuffix("\n")


def test_each_service_reads_its_engines_secrets_from_the_secret_keys_meant_for_them(
    tmp_path: Path,
) -> None:
    objects = render_chart(*SECURED)
    store = secret_store(objects)
    assert not [o for o in objects if o["kind"] == "Secret"], "no secret of the chart's own"
    for service in SETTINGS:
        view, settings = _started(objects, service, tmp_path)
        kafka = settings.kafka
        assert (kafka.security_protocol, kafka.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
        assert kafka.sasl_username == "barito"
        assert kafka.sasl_password is not None
        assert kafka.sasl_password.get_secret_value() == _from_file(
            store["barito-kafka"]["password"]
        )
        assert kafka.ssl_cafile is not None and kafka.ssl_check_hostname is True
        assert view.files[kafka.ssl_cafile] == ("barito-kafka-ca", "ca.crt"), service
        if "search" in _engines(service):
            search = settings.search
            assert search.url.startswith("https://") and search.username is None
            assert search.api_key.get_secret_value() == _from_file(
                store["barito-elasticsearch"]["api-key"]
            )
            assert view.files[search.ssl_cafile] == ("barito-elasticsearch", "http_ca.crt")
        if "database" in _engines(service):
            database = settings.database
            assert database.ssl_mode == "verify-full"
            assert database.url.get_secret_value() == _from_file(store["barito-postgres"]["url"])
            assert view.files[database.ssl_cafile] == ("barito-postgres-ca", "ca.crt")


def test_kafka_mutual_tls_and_a_search_password_come_from_their_secret_files(
    tmp_path: Path,
) -> None:
    objects = render_chart(*MUTUAL_TLS_AND_BASIC_AUTH)
    store = secret_store(objects)
    for service in SETTINGS:
        view, settings = _started(objects, service, tmp_path)
        kafka = settings.kafka
        assert kafka.security_protocol == "SSL" and kafka.sasl_password is None
        assert kafka.ssl_certfile is not None and kafka.ssl_keyfile is not None
        assert view.files[kafka.ssl_certfile] == ("barito-kafka-client", "tls.crt"), service
        assert view.files[kafka.ssl_keyfile] == ("barito-kafka-client", "tls.key"), service
        if "search" in _engines(service):
            search = settings.search
            assert (search.engine, search.username) == ("opensearch", "barito")
            assert search.password.get_secret_value() == _from_file(
                store["barito-elasticsearch"]["password"]
            )
            # The file replaces the older variable: not both (which a service refuses).
            assert "BARITO_SEARCH__PASSWORD" not in view.secret_env


def test_every_file_setting_names_a_file_of_a_read_only_secret_mount_of_its_container(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    values, objects = rendered
    store = secret_store(objects)
    for service in SETTINGS:
        view = container_view(objects, service, store)
        for name, path in file_settings(view.env(store)).items():
            assert path in view.files, f"{values}: {service}'s {name}={path} is not a mounted file"
        for mount_path, (mount, volume) in view.mounts.items():
            if "secret" not in volume and "projected" not in volume:
                continue
            # The whole volume, never subPath: a rotated Secret reaches its files.
            assert mount["readOnly"] is True and "subPath" not in mount, (values, mount_path)
            source = volume.get("secret") or volume["projected"]
            assert source["defaultMode"] == MOUNT_MODE, (values, service, mount_path)


def test_no_secret_is_given_as_a_plain_value_or_put_in_a_config_map(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    values, objects = rendered
    store = secret_store(objects)
    secrets = {
        _from_file(value)
        for data in store.values()
        for key, value in data.items()
        if not key.endswith(".crt")  # certificates are not secret
    }
    plain = [v for o in objects if o["kind"] == "ConfigMap" for v in o["data"].values()]
    for service, cls in SETTINGS.items():
        view = container_view(objects, service, store)
        given_plainly = set(view.plain_env) & secret_setting_names(cls)
        assert not given_plainly, f"{values}: {service} gets {given_plainly} as plain values"
        plain += list(view.plain_env.values())
    leaked = {secret for secret in secrets for value in plain if secret in value}
    assert not leaked, f"{values}: secret values in ConfigMaps or env values: {leaked}"


def test_a_service_gets_the_secrets_of_the_engines_it_reaches_and_no_others() -> None:
    objects = render_chart(*SECURED, "--set", "canary.enabled=true",
                           "--set", "canary.existingSecret=barito-canary")  # fmt: skip
    for service in SETTINGS:
        view = container_view(objects, service)
        engines = _engines(service)
        expected = set().union(*(ENGINE_SECRETS[engine] for engine in engines))
        assert view.secrets == expected, service
        for engine in {"search", "database"} - engines:
            prefix = f"BARITO_{engine.upper()}__"
            assert not [n for n in view.plain_env if n.startswith(prefix)], (service, engine)
            assert not [p for p in view.mounts if p.endswith(f"/{engine}")], (service, engine)
    # The canary talks to the services over HTTP: no engine's Secret at all.
    assert container_view(objects, "canary").secrets == {"barito-canary"}
    # Who reaches what (from the settings classes): the receiver and the tail
    # server Kafka alone, the market all three.
    assert _engines("receiver") == _engines("server") == {"kafka"}
    assert _engines("market") == {"kafka", "search", "database"}


def test_secret_files_replace_the_older_variables_so_no_service_gets_both(
    tmp_path: Path,
) -> None:
    # An installation with existingSecret moving to Secret files, one setting at a time.
    objects = render_chart(
        "-f", str(PRODUCTION_VALUES),
        "--set", "database.urlSecret.name=barito-postgres",
        "--set", "search.passwordSecret.name=barito-elasticsearch",
    )  # fmt: skip
    store = secret_store(objects)
    for service in ("market", "flow", "provisioner"):
        view, settings = _started(objects, service, tmp_path)  # refused if both were set
        assert not view.secret_env, service
        assert settings.search.password.get_secret_value() == _from_file(
            store["barito-elasticsearch"]["password"]
        )
    _, market = _started(objects, "market", tmp_path / "again")
    assert market.database.url.get_secret_value() == _from_file(store["barito-postgres"]["url"])
    # With the URL in a Secret file and no search password, the chart's own
    # Secret would be empty: it is not made.
    objects = render_chart("--set", "database.urlSecret.name=barito-postgres")
    assert not [o for o in objects if o["kind"] == "Secret"]
    assert not container_view(objects, "market").secret_env


def test_host_name_checks_stay_on_unless_turned_off(tmp_path: Path) -> None:
    objects = render_chart(*SECURED)
    _, settings = _started(objects, "flow", tmp_path / "on")
    assert settings.kafka.ssl_check_hostname and settings.search.ssl_check_hostname
    objects = render_chart(
        *SECURED, "--set", "kafka.checkHostname=false", "--set", "search.checkHostname=false"
    )
    _, settings = _started(objects, "flow", tmp_path / "off")
    assert not settings.kafka.ssl_check_hostname
    assert not settings.search.ssl_check_hostname


def test_helm_lint_passes_strictly_with_every_engine_secured() -> None:
    for args in (SECURED, MUTUAL_TLS_AND_BASIC_AUTH):
        result = run_helm("lint", CHART, "--strict", *args)
        assert "0 chart(s) failed" in result.stdout


def test_the_values_schema_refuses_half_configured_engine_security() -> None:
    sasl = "kafka.securityProtocol=SASL_SSL"
    mistakes = {
        # SASL without its user or password; a user or CA that would be ignored.
        sasl: "/kafka/saslUsername",
        f"{sasl},kafka.saslUsername=barito": "/kafka/saslPasswordSecret/name",
        "kafka.saslUsername=barito": "/kafka/saslUsername",
        "kafka.caSecret.name=kafka-ca": "/kafka/caSecret/name",
        "kafka.clientCertificateSecret=kafka-client": "/kafka/clientCertificateSecret",
        "kafka.securityProtocol=TLS": "/kafka/securityProtocol",
        "kafka.saslMechanism=SCRAM-SHA-1": "/kafka/saslMechanism",
        # An API key with a user, with OpenSearch; a password file without its user.
        "search.apiKeySecret.name=es,search.username=barito": "/search/username",
        "search.apiKeySecret.name=es,search.engine=opensearch": "/search/engine",
        "search.passwordSecret.name=es": "/search/username",
        "search.passwordSecret.name=es,search.username=u,search.password=pw": "/search/password",
        # A CA over plain http; a Postgres CA that require would not check.
        "search.caSecret.name=es-ca": "/search/url",
        "database.caSecret.name=pg-ca,database.sslMode=require": "/database/sslMode",
        "database.sslMode=verify": "/database/sslMode",
        "database.urlSecret.key=a/b": "/database/urlSecret/key",
        "database.urlSecret.nam=pg": "/database/urlSecret",
    }
    for assignment, message in mistakes.items():
        result = run_helm("template", "barito", CHART, "--set", assignment, check=False)
        assert result.returncode != 0, assignment
        assert message in result.stderr, (assignment, result.stderr)


def _docs_block(heading: str, lead: str, language: str) -> str:
    """The first ```language block after ``lead`` under ``heading`` in docs/deploy.md."""
    text = (REPO / "docs" / "deploy.md").read_text()
    section = text[text.index(heading) :]
    after = section[section.index(lead) :]
    start = after.index(f"```{language}\n") + len(f"```{language}\n")
    return after[start : after.index("```", start)]


def test_the_docs_secured_engine_values_render_settings_the_services_accept(
    tmp_path: Path,
) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(_docs_block("## 7. Secured engines", "and name them in the values", "yaml"))
    objects = render_chart("-f", str(values))
    for service in SETTINGS:
        _, settings = _started(objects, service, tmp_path)
        assert settings.kafka.security_protocol == "SASL_SSL", service
    _, market = _started(objects, "market", tmp_path / "market-again")
    assert market.search.api_key is not None and market.database.ssl_mode == "verify-full"


def test_the_docs_docker_run_example_gives_settings_the_flow_accepts(tmp_path: Path) -> None:
    command = _docs_block("### With `docker run` or Compose", "readable by it", "sh")
    env = dict(
        line.split("-e ", 1)[1].rstrip(" \\").split("=", 1)
        for line in command.splitlines()
        if line.strip().startswith("-e ")
    )
    # The files the `-v /etc/barito/secrets:/run/secrets:ro` mount would hold.
    for name, path in env.items():
        if path.startswith("/run/secrets/"):
            local = tmp_path / path.removeprefix("/run/secrets/")
            local.write_text("-----BEGIN CERTIFICATE-----\n" if "CAFILE" in name else "secret\n")
            env[name] = str(local)
    settings = settings_from(SETTINGS["flow"], env)
    assert settings.kafka.sasl_password.get_secret_value() == "secret"
    assert settings.search.api_key.get_secret_value() == "secret"


def test_the_docs_compose_example_mounts_every_file_its_settings_name(tmp_path: Path) -> None:
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text(_docs_block("### With `docker run` or Compose", "In a Compose", "yaml"))
    flow = load_json(compose_project(compose_file))["services"]["flow"]  # compose-go's reading
    mounted = {secret["target"] for secret in flow["secrets"]}
    env = dict(flow["environment"])
    for name, path in file_settings(env).items():
        assert path in mounted, f"{name}={path} is not a secret of the flow"
        local = tmp_path / Path(path).name
        local.write_text("secret\n")
        env[name] = str(local)
    settings = settings_from(SETTINGS["flow"], env)
    assert settings.kafka.sasl_password.get_secret_value() == "secret"
    assert settings.search.api_key.get_secret_value() == "secret"
