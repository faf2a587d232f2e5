r"""A bulk request body into its actions, read the way Elasticsearch's bulk parser reads it.

    >>> body = (b'{"create":{"_index":"web","_id":"a"}}\n{"message":"hi"}\n'
    ...         b'{"index":{}}\n[1]\n{"delete":{"_id":"b"}}\n')
    >>> for a in parse_bulk(body, default_index="logs", max_actions=10):
    ...     print(a.op, a.index, a.id, a.source, a.error and a.error.status)
    create web a {'message': 'hi'} None
    index logs None None 400
    delete logs b None 400

What fails the whole request (:class:`ElasticError` 400, nothing written), as
in Elasticsearch: a body that does not end in a newline, a body with no
action, and an action line that is not one ``{"<op>":{...}}`` object. One
deliberate difference: Elasticsearch silently drops an ``index``/``create``
whose document line is missing at the end of the body; here that refuses the
request, since a silent drop would lose a log while answering success.

What fails only its item (the others are written): a document that is not
JSON, is empty or is not an object (``document_parsing_exception``, as
Elasticsearch 8 names it), and every ``update`` and ``delete``: Barito's logs
are append-only. Unknown keys in an action's metadata (``pipeline``,
``routing``, ``_type``, ``require_alias``...) are ignored: agents send them,
and nothing here has a use for them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from barito_receiver.bulk.responses import ElasticError, ItemError
from barito_receiver.json_body import json_kind

__all__ = ["OPS", "WRITES", "BulkAction", "parse_bulk", "parse_document"]

OPS = ("create", "delete", "index", "update")
WRITES = frozenset({"create", "index"})

_loads = orjson.loads


class BulkAction(NamedTuple):
    """One action of the body: its op, the index and id it named, and its document or error."""

    op: str
    line: int
    """The action line's number, from 1, for messages."""
    # Shadows tuple.index(), which no caller needs; the name is the action's "_index".
    index: str | None  # type: ignore[assignment]
    id: str | None
    source: dict[str, Any] | None = None
    error: ItemError | None = None


def parse_bulk(body: bytes, *, default_index: str | None, max_actions: int) -> list[BulkAction]:
    """The actions of ``body`` in order; ``ElasticError`` when the request as a whole is bad."""
    if not body.endswith(b"\n"):
        raise ElasticError(
            400,
            "illegal_argument_exception",
            "The bulk request must be terminated by a newline [\\n]",
        )
    lines = body.split(b"\n")
    last = len(lines) - 1  # lines[last] is the empty piece after the final newline
    actions: list[BulkAction] = []
    n = 0
    while n < last:
        line = lines[n].rstrip(b"\r")
        n += 1
        if not line.strip():
            continue
        op, meta = _action(line, n)
        index = _name(meta, "_index", n) or default_index
        doc_id = _name(meta, "_id", n)
        if op == "delete":
            actions.append(BulkAction(op, n, index, doc_id, error=_append_only(op)))
        else:
            if n >= last:
                raise ElasticError(
                    400,
                    "illegal_argument_exception",
                    f"The {op} action on line [{n}] has no document line after it",
                )
            document = lines[n].rstrip(b"\r")
            n += 1
            if op in WRITES:
                source, error = parse_document(document, n)
                actions.append(BulkAction(op, n - 1, index, doc_id, source, error))
            else:
                actions.append(BulkAction(op, n - 1, index, doc_id, error=_append_only(op)))
        if len(actions) > max_actions:
            raise ElasticError(
                413,
                "status_exception",
                f"The bulk request holds more than {max_actions} actions, the limit per request; "
                "send smaller batches",
            )
    if not actions:
        raise ElasticError(
            400, "action_request_validation_exception", "Validation Failed: 1: no requests added;"
        )
    return actions


def _action(line: bytes, n: int) -> tuple[str, dict[str, Any]]:
    try:
        action = _loads(line)
    except orjson.JSONDecodeError as err:
        raise ElasticError(
            400,
            "x_content_parse_exception",
            f"[{n}:{err.colno}] Malformed action/metadata line [{n}]: {err.msg}",
        ) from err
    if type(action) is not dict or len(action) != 1:
        got = f"an object of {len(action)} keys" if type(action) is dict else json_kind(action)
        raise ElasticError(
            400,
            "illegal_argument_exception",
            f"Malformed action/metadata line [{n}], expected one object with a single key "
            f"[create, delete, index, update] but found {got}",
        )
    op = next(iter(action))
    meta = action[op]
    if op not in OPS:
        raise ElasticError(
            400,
            "illegal_argument_exception",
            f"Malformed action/metadata line [{n}], expected one of [create, delete, index, "
            f"update] but found [{op}]",
        )
    if type(meta) is not dict:
        raise ElasticError(
            400,
            "illegal_argument_exception",
            f"Malformed action/metadata line [{n}], expected an object after [{op}] but found "
            f"{json_kind(meta)}",
        )
    return op, meta


def _name(meta: dict[str, Any], key: str, n: int) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    # Elasticsearch reads the text of a number too (an "_id": 5 is "5").
    if type(value) is str or type(value) is int:
        return str(value)
    raise ElasticError(
        400,
        "illegal_argument_exception",
        f"Malformed action/metadata line [{n}], [{key}] must be a string but found "
        f"{json_kind(value)}",
    )


def parse_document(line: bytes, n: int) -> tuple[dict[str, Any] | None, ItemError | None]:
    """The document of line ``n`` (or of a whole single-document body), or why it is refused."""
    if not line.strip():
        return None, _parse_error(f"failed to parse, document on line [{n}] is empty")
    try:
        source = _loads(line)
    except orjson.JSONDecodeError as err:
        return None, _parse_error(f"[{n}:{err.colno}] failed to parse: {err.msg}")
    if type(source) is not dict:
        return None, _parse_error(
            f"failed to parse, document on line [{n}] is a JSON {json_kind(source)}, not an object"
        )
    return source, None


def _parse_error(reason: str) -> ItemError:
    return ItemError(400, "document_parsing_exception", reason)


def _append_only(op: str) -> ItemError:
    return ItemError(
        400,
        "illegal_argument_exception",
        f"Barito keeps logs append-only: the {op} action is not supported; "
        "send each log with index or create",
    )
