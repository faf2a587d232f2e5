"""Names and labels of the containers and volumes the docker driver makes (pure).

Labels are the driver's only memory: which infrastructure and component a
container is, which host ports it was given and which configuration it was
created with. A retried or resized provision reads them back, so it reuses
the same ports and leaves unchanged containers alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping

__all__ = [
    "COMPONENT_LABEL",
    "CONFIG_LABEL",
    "INFRASTRUCTURE_LABEL",
    "PORT_LABEL_PREFIX",
    "config_digest",
    "container_name",
    "kafka_cluster_id",
    "ports_of",
    "short_id",
    "volume_name",
]

INFRASTRUCTURE_LABEL = "dev.barito.infrastructure"
COMPONENT_LABEL = "dev.barito.component"
# A digest of image, environment and health check: a container whose digest
# differs from the wanted one is replaced (its volume stays).
CONFIG_LABEL = "dev.barito.config"
# dev.barito.port.<name>=<port>, e.g. dev.barito.port.client=31005.
PORT_LABEL_PREFIX = "dev.barito.port."

_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]+")


def _safe(value: str) -> str:
    """``value`` as Docker accepts in a container or volume name."""
    return _UNSAFE.sub("-", value).strip("-_.") or "x"


def short_id(infrastructure_id: str) -> str:
    """The first 12 letters and digits of the id (a UUID's are unique enough on one host)."""
    return re.sub(r"[^a-z0-9]", "", infrastructure_id.lower())[:12] or _digest(infrastructure_id)


def container_name(prefix: str, infrastructure_id: str, component: str) -> str:
    return f"{prefix}{short_id(infrastructure_id)}-{component}"


def volume_name(prefix: str, infrastructure_id: str, component: str) -> str:
    # The whole id: a volume outlives containers and must never be taken for another's.
    return f"{prefix}{_safe(infrastructure_id)}-{component}"


def kafka_cluster_id(infrastructure_id: str) -> str:
    """A KRaft cluster id (16 bytes, URL-safe base64) derived from the infrastructure.

    Every broker and controller formats its storage with it, so they form one
    cluster whichever starts first, and a recreated container keeps its data.
    """
    digest = hashlib.md5(infrastructure_id.encode(), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def ports_of(labels: Mapping[str, str]) -> dict[str, int]:
    """The ports recorded in a container's labels, by name."""
    ports = {}
    for key, value in labels.items():
        if key.startswith(PORT_LABEL_PREFIX) and value.isdigit():
            ports[key.removeprefix(PORT_LABEL_PREFIX)] = int(value)
    return ports


def config_digest(config: Mapping[str, object]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]
