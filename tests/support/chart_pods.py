"""What a container of the rendered chart would see: its variables and its Secret files.

No kubelet runs here, so this does its part: the variables of a container
are its ConfigMaps, its ``value:`` entries and its ``secretKeyRef`` entries
resolved from the Secrets; its files are the keys of the Secrets its volumes
project, written under a temporary root that stands for ``/``::

    store = secret_store(objects)                # the chart's Secrets + the operator's
    view = container_view(objects, "market")
    env = view.materialize(store, tmp_path)      # files written, paths moved under tmp_path
    settings = settings_from(MarketSettings, env)  # reads the files, as at start-up

``OPERATOR_SECRETS`` holds what the Secrets the ci/ values files name (but
the chart does not make) would hold, each value distinct, so a test can tell
which Secret key a setting was read from.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from barito_common.secret_files import FILE_SUFFIX

__all__ = [
    "OPERATOR_SECRETS",
    "ContainerView",
    "by_kind",
    "container_view",
    "file_settings",
    "secret_store",
]


def _pem(name: str) -> str:
    return f"-----BEGIN CERTIFICATE-----\n{name}\n-----END CERTIFICATE-----\n"


# Secrets an operator makes (kubectl create secret ... --from-file), by name and key.
OPERATOR_SECRETS: dict[str, dict[str, str]] = {
    # ci/production-values.yaml's existingSecret.
    "barito-production-settings": {
        "BARITO_DATABASE__URL": "postgresql+asyncpg://barito:prod-db-pw@db.data:5432/barito",
        "BARITO_SEARCH__PASSWORD": "prod-search-pw",
    },
    "barito-canary": {"BARITO_CANARY_SECRET": "canary-app-secret", "BARITO_CANARY_TOKEN": "tok"},
    # ci/service-tls-values.yaml's listener certificate (cert-manager's keys).
    "barito-listeners": {
        "tls.crt": _pem("listeners"),
        "tls.key": "-----BEGIN PRIVATE KEY-----\nlisteners\n-----END PRIVATE KEY-----\n",
        "ca.crt": _pem("listeners-ca"),
    },
    # ci/secured-engines-values.yaml's engines.
    "barito-kafka": {"password": "kafka-sasl-pw-7f3a\n"},
    "barito-kafka-ca": {"ca.crt": _pem("kafka-ca")},
    "barito-kafka-client": {
        "tls.crt": _pem("kafka-client"),
        "tls.key": "-----BEGIN PRIVATE KEY-----\nkafka-client\n-----END PRIVATE KEY-----\n",
    },
    "barito-elasticsearch": {
        "api-key": "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==\n",
        "http_ca.crt": _pem("elasticsearch-http-ca"),
        "password": "es-basic-pw-91c2\n",
    },
    "barito-postgres": {"url": "postgresql+asyncpg://barito:pg-pw-4d1e@pg.data:5432/barito\n"},
    "barito-postgres-ca": {"ca.crt": _pem("postgres-ca")},
}


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """The rendered objects of one kind, by component (market, receiver, ..., canary)."""
    return {
        obj["metadata"]["labels"]["app.kubernetes.io/component"]: obj
        for obj in objects
        if obj["kind"] == kind
    }


def secret_store(objects: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Every Secret's keys: the operator's (``OPERATOR_SECRETS``) and those the chart renders."""
    store = {name: dict(data) for name, data in OPERATOR_SECRETS.items()}
    for obj in objects:
        if obj["kind"] == "Secret":
            data = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
            store[obj["metadata"]["name"]] = {**data, **(obj.get("stringData") or {})}
    return store


@dataclass
class ContainerView:
    """One container of a rendered Deployment, as its process would see it."""

    # Variables from its ConfigMaps and `value:` entries.
    plain_env: dict[str, str]
    # Variables from `secretKeyRef`: name → (Secret, key, optional).
    secret_env: dict[str, tuple[str, str, bool]]
    # Files its Secret volumes project: container path → (Secret, key).
    files: dict[str, tuple[str, str]]
    # Its volume mounts by path, each with the volume it mounts.
    mounts: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=dict)

    @property
    def secrets(self) -> set[str]:
        """Names of every Secret the container can read, as variables or files."""
        return {s for s, _, _ in self.secret_env.values()} | {s for s, _ in self.files.values()}

    def env(self, store: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
        """Its variables, ``secretKeyRef`` ones resolved (an optional missing key is unset)."""
        env = dict(self.plain_env)
        for name, (secret, key, optional) in self.secret_env.items():
            value = store.get(secret, {}).get(key)
            if value is None:
                assert optional, f"{name}: Secret {secret} has no key {key}"
                continue
            env[name] = value
        return env

    def materialize(self, store: Mapping[str, Mapping[str, str]], root: Path) -> dict[str, str]:
        """Write its Secret files under ``root``; its variables, ``_FILE`` ones moved there.

        Only the ``_FILE`` variables are moved: they are read while the settings
        are built. Other paths (``..._SSL_CAFILE``) stay as the container sees
        them, so a test can look them up in ``files``.
        """
        for path, (secret, key) in self.files.items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(store[secret][key])
        return {
            name: str(root / value.lstrip("/"))
            if name.endswith(FILE_SUFFIX) and value in self.files
            else value
            for name, value in self.env(store).items()
        }


def _projected(
    volume: dict[str, Any], store: Mapping[str, Mapping[str, str]]
) -> dict[str, tuple[str, str]]:
    """File (relative to the mount) → (Secret, key) of a secret or projected volume."""
    if "secret" in volume:
        sources = [{"name": volume["secret"]["secretName"], **volume["secret"]}]
    else:
        sources = [
            s["secret"] for s in volume.get("projected", {}).get("sources", []) if "secret" in s
        ]
    files: dict[str, tuple[str, str]] = {}
    for source in sources:
        items = source.get("items") or [{"key": k, "path": k} for k in store[source["name"]]]
        for item in items:
            files[item["path"]] = (source["name"], item["key"])
    return files


def container_view(
    objects: list[dict[str, Any]],
    component: str,
    store: Mapping[str, Mapping[str, str]] = OPERATOR_SECRETS,
) -> ContainerView:
    pod = by_kind(objects, "Deployment")[component]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
    plain: dict[str, str] = {}
    for source in container.get("envFrom", []):
        plain.update(config_maps[source["configMapRef"]["name"]]["data"])
    secret_env: dict[str, tuple[str, str, bool]] = {}
    for entry in container.get("env", []):
        if "value" in entry:
            plain[entry["name"]] = entry["value"]
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            secret_env[entry["name"]] = (ref["name"], ref["key"], ref.get("optional", False))
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    files: dict[str, tuple[str, str]] = {}
    mounts = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        mounts[mount["mountPath"]] = (mount, volume)
        for path, source in _projected(volume, store).items():
            files[f"{mount['mountPath']}/{path}"] = source
    return ContainerView(plain, secret_env, files, mounts)


def file_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The variables of ``env`` that name a file: ``_FILE`` ones and the TLS file settings."""
    return {
        name: value
        for name, value in env.items()
        if name.endswith((FILE_SUFFIX, "_CAFILE", "_CERTFILE", "_KEYFILE"))
    }
