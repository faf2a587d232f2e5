"""The composable index template of an app's daily log indices.

The body is the keyword arguments of the search adapter's ``put_index_template``,
and is the same for Elasticsearch 8 and OpenSearch 2 (``_index_template``)::

    await search.put_index_template(
        template_name("barito-shop"),
        **index_template_body(index_prefix_pattern="barito-shop-*", shards=1, replicas=0),
    )

Mapping choices, for logs whose shape no one controls:

* ``@timestamp`` is a date, ``message`` full text, ``barito.app`` a keyword.
* Any other string is a keyword (exact match, aggregations), not indexed past
  ``ignore_above`` characters but kept in ``_source``. A string field named
  ``log`` or ``msg`` (what fluentd, Fluent Bit and many loggers call the line) is
  full text instead, by a dynamic template rather than a fixed mapping: in ECS
  records ``log`` is an object (``log.level``), and a fixed text mapping would
  reject every one of them.
* No date detection: a field that looks like a date in the first record of
  the day and not in the next would have the next rejected.
* No ``ignore_malformed``: a document that conflicts with the day's mapping is
  rejected, and the flow dead-letters it with the engine's reason, instead of
  indexing it with fields silently dropped.

Storage: stored fields (``_source``, ``_id``) are compressed with the
``best_compression`` codec, denser than the default LZ4 and accepted under
that name by both engines (OpenSearch's zstd codecs need its custom-codecs
plugin, missing from minimal distributions). On a realistic mix of access
logs, JSON application logs and stack traces (``bench/storage/run.py``) an
event takes 0.62-0.65 of the default codec's bytes on disk (0.28-0.29 of its
raw JSON instead of 0.45), and every search the market runs answers as
before. Its indexing cost was lost in the noise of a shared two-core machine;
Elastic's own measurement on log data is about 2 % of indexing throughput.
The codec is fixed when an index is created: it reaches an app's next daily
index once the app's template carries it, and older indices keep theirs.

Measured and not taken (figures in ``docs/performance.md``): ``match_only_text``
messages (7 % smaller, phrase searches some 40 times slower), keywords
without doc values or without an index (13-15 % smaller, but no sorting on
strings, or filters that scan), index sorting by time (no gain: logs arrive
in time order), norms off (no gain), and Elasticsearch's ``logsdb`` mode
(smaller still, but its synthetic ``_source`` needs an Enterprise licence and
gives back documents in another shape than sent).
"""

from __future__ import annotations

from typing import Any, TypedDict

from barito_common.search.tenant_field import tenant_mapping

__all__ = ["IndexTemplateBody", "index_template_body", "template_name"]

# Above the adapter's default priority (100), which other templates may use.
_BASE_PRIORITY = 200


class IndexTemplateBody(TypedDict):
    """Keyword arguments of ``SearchAdapter.put_index_template`` (all but the name)."""

    index_patterns: list[str]
    settings: dict[str, Any]
    mappings: dict[str, Any]
    priority: int


def template_name(index_prefix: str) -> str:
    """Name of the index template of the indices ``<index_prefix>-*``.

    >>> template_name("barito-shop")
    'barito-shop-logs'
    """
    return f"{index_prefix}-logs"


def index_template_body(
    *,
    index_prefix_pattern: str,
    shards: int,
    replicas: int,
    total_fields_limit: int = 1000,
    ignore_above: int = 1024,
) -> IndexTemplateBody:
    """The template of the indices matching ``index_prefix_pattern`` (``barito-shop-*``).

    >>> body = index_template_body(index_prefix_pattern="barito-shop-*", shards=1, replicas=0)
    >>> body["index_patterns"], body["settings"]["index.number_of_shards"]
    (['barito-shop-*'], 1)
    """
    if not index_prefix_pattern:
        raise ValueError("index_prefix_pattern must not be empty")
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    if replicas < 0:
        raise ValueError(f"replicas must not be negative, got {replicas}")
    if total_fields_limit < 1:
        raise ValueError(f"total_fields_limit must be at least 1, got {total_fields_limit}")
    if ignore_above < 1:
        raise ValueError(f"ignore_above must be at least 1, got {ignore_above}")
    return {
        "index_patterns": [index_prefix_pattern],
        "settings": {
            "index.number_of_shards": shards,
            "index.number_of_replicas": replicas,
            "index.refresh_interval": "1s",
            "index.mapping.total_fields.limit": total_fields_limit,
            # Stored fields are most of a log index's bytes (see the module docstring).
            "index.codec": "best_compression",
        },
        "mappings": {
            "date_detection": False,
            "dynamic_templates": [
                {
                    "log_lines_as_text": {
                        "match_mapping_type": "string",
                        "match_pattern": "regex",
                        "match": "^(log|msg)$",
                        "mapping": {"type": "text"},
                    }
                },
                {
                    "strings_as_keywords": {
                        "match_mapping_type": "string",
                        "mapping": {"type": "keyword", "ignore_above": ignore_above},
                    }
                },
            ],
            "properties": {
                "@timestamp": {"type": "date"},
                "message": {"type": "text"},
                # barito.app, the field every search of an app filters on.
                **tenant_mapping(),
            },
        },
        "priority": _priority(index_prefix_pattern),
    }


def _priority(pattern: str) -> int:
    # Both engines refuse a template whose patterns overlap another's at the same
    # priority, and app prefixes nest: "barito-shop-*" also matches the indices
    # of "barito-shop-api". Ranking a template by the length of its pattern keeps
    # every priority distinct where patterns can overlap (two "<prefix>-*"
    # patterns of one length overlap only if equal) and lets the longer, more
    # specific prefix win for its own indices.
    return _BASE_PRIORITY + len(pattern)
