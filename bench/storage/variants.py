"""The index template variants measured against Barito's own template.

Each variant starts from :func:`index_template_body` (what the flow and the
provisioner put) and changes one thing; ``default_codec`` is the template as
it was before ``best_compression`` was adopted. A
variant's ``loses`` names the search feature it gives up, if any: the run
checks the market's queries on every variant, and a variant that loses one is
measured for the record, never adopted.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from barito_common.search import Engine
from barito_common.search.index_template import IndexTemplateBody, index_template_body

__all__ = ["VARIANTS", "Variant", "template_of"]

Change = Callable[[IndexTemplateBody], None]


@dataclass(frozen=True)
class Variant:
    name: str
    what: str
    changes: tuple[Change, ...]
    engines: tuple[Engine, ...] = ("elasticsearch", "opensearch")
    loses: str = ""


def template_of(variant: Variant, pattern: str) -> IndexTemplateBody:
    """Barito's template for ``pattern`` (one shard, no replica) with ``variant``'s changes."""
    body = copy.deepcopy(index_template_body(index_prefix_pattern=pattern, shards=1, replicas=0))
    for change in variant.changes:
        change(body)
    return body


def _text_fields(body: IndexTemplateBody) -> list[dict[str, Any]]:
    """The mappings of every full-text field: ``message`` and the log-line template."""
    mappings = body["mappings"]
    found = [mappings["properties"]["message"]]
    for entry in mappings["dynamic_templates"]:
        for spec in entry.values():
            if spec["mapping"].get("type") in ("text", "match_only_text"):
                found.append(spec["mapping"])
    return found


def _keyword_template(body: IndexTemplateBody) -> dict[str, Any]:
    for entry in body["mappings"]["dynamic_templates"]:
        if "strings_as_keywords" in entry:
            mapping: dict[str, Any] = entry["strings_as_keywords"]["mapping"]
            return mapping
    raise LookupError("the template has no strings_as_keywords dynamic template")


def lz4(body: IndexTemplateBody) -> None:
    body["settings"]["index.codec"] = "default"


def match_only_text(body: IndexTemplateBody) -> None:
    for mapping in _text_fields(body):
        mapping["type"] = "match_only_text"


def no_norms(body: IndexTemplateBody) -> None:
    for mapping in _text_fields(body):
        if mapping["type"] == "text":
            mapping["norms"] = False


def time_sorted(body: IndexTemplateBody) -> None:
    body["settings"]["index.sort.field"] = "@timestamp"
    body["settings"]["index.sort.order"] = "desc"


def keywords_without_doc_values(body: IndexTemplateBody) -> None:
    _keyword_template(body)["doc_values"] = False


def keywords_not_indexed(body: IndexTemplateBody) -> None:
    _keyword_template(body)["index"] = False


def logsdb(body: IndexTemplateBody) -> None:
    body["settings"]["index.mode"] = "logsdb"
    # logsdb turns ignore_malformed on by default; Barito dead-letters conflicts instead.
    body["settings"]["index.mapping.ignore_malformed"] = False


VARIANTS: tuple[Variant, ...] = (
    Variant("baseline", "Barito's template as it is (best_compression since issue 23)", ()),
    Variant("default_codec", "the template before issue 23: the default codec (LZ4)", (lz4,)),
    Variant("match_only_text", "message, log, msg as match_only_text", (match_only_text,)),
    Variant("no_norms", "text fields without norms (no length scoring)", (no_norms,)),
    Variant("time_sorted", "index.sort @timestamp desc", (time_sorted,)),
    Variant(
        "kw_no_doc_values",
        "string keywords without doc_values",
        (keywords_without_doc_values,),
        loses="sort and aggregations on string fields",
    ),
    Variant(
        "kw_not_indexed",
        "string keywords index: false (doc_values only)",
        (keywords_not_indexed,),
        loses="fast term filters: each becomes a scan of doc values",
    ),
    Variant(
        "logsdb",
        "index.mode: logsdb (synthetic _source needs an Enterprise licence)",
        (logsdb,),
        engines=("elasticsearch",),
        loses="_source as sent: synthetic source rebuilds it (keys sorted, dots nested)",
    ),
)
