"""What Elasticsearch clients ask before their first bulk, answered as much as they read.

* ``GET /`` (every client: Filebeat, Logstash, Vector, rsyslog) reads
  ``version.number``, Logstash also ``build_flavor`` and ``tagline``. Barito
  reports an 8.x version: every agent speaks 8, and none then sends the
  ``_type`` that 6.x wanted.
* ``GET /_license`` (Logstash marks the node dead without ``status: active``).
* ``GET /_cluster/health`` (Vector's health check), ``GET /_cat/health``
  (rsyslog, to resume after a failure).

The answers say what is true of Barito's side: one "node", a basic licence,
green while this receiver answers (its Kafka is checked at each bulk, which
answers 503 while Kafka is away).

    >>> root_info()["version"]["number"]
    '8.17.0'
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["CLUSTER_NAME", "VERSION", "cat_health", "cluster_health", "license_info", "root_info"]

VERSION = "8.17.0"
CLUSTER_NAME = "barito"
# Stable, so that clients which remember the cluster they talk to see the same one.
_CLUSTER_UUID = "YmFyaXRvLXJlY2VpdmVy"
_BUILD_DATE = "2024-12-11T12:08:05.663969764Z"
_LICENSE_UID = "00000000-0000-4000-8000-62617269746f"


def root_info() -> dict[str, Any]:
    return {
        "name": "barito-receiver",
        "cluster_name": CLUSTER_NAME,
        "cluster_uuid": _CLUSTER_UUID,
        "version": {
            "number": VERSION,
            "build_flavor": "default",
            "build_type": "docker",
            "build_hash": "barito",
            "build_date": _BUILD_DATE,
            "build_snapshot": False,
            "lucene_version": "9.12.0",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "You Know, for Search",
    }


def license_info() -> dict[str, Any]:
    return {
        "license": {
            "status": "active",
            "uid": _LICENSE_UID,
            "type": "basic",
            "issue_date": "2024-01-01T00:00:00.000Z",
            "issue_date_in_millis": 1704067200000,
            "max_nodes": 1000,
            "max_resource_units": None,
            "issued_to": CLUSTER_NAME,
            "issuer": "elasticsearch",
            "start_date_in_millis": -1,
        }
    }


def cluster_health() -> dict[str, Any]:
    return {
        "cluster_name": CLUSTER_NAME,
        "status": "green",
        "timed_out": False,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": 0,
        "active_shards": 0,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0,
    }


def cat_health(now: float | None = None) -> str:
    """``_cat/health``'s one text line: epoch, time, cluster, status, nodes, shards..."""
    moment = time.time() if now is None else now
    clock = time.strftime("%H:%M:%S", time.gmtime(moment))
    return f"{int(moment)} {clock} {CLUSTER_NAME} green 1 1 0 0 0 0 0 0 - 100.0%\n"
