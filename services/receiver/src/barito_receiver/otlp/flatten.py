"""OTLP attribute lists and values as the plain fields of an event record.

    >>> from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue, KeyValueList
    >>> header = AnyValue(kvlist_value=KeyValueList(values=[
    ...     KeyValue(key="accept", value=AnyValue(string_value="*/*"))]))
    >>> flatten_attributes([
    ...     KeyValue(key="http.response.status_code", value=AnyValue(int_value=500)),
    ...     KeyValue(key="http.request.header", value=header),
    ... ], "attributes.")
    {'attributes.http.response.status_code': 500, 'attributes.http.request.header.accept': '*/*'}

Attribute keys are kept as OpenTelemetry's semantic conventions spell them
(``service.name``, ``http.response.status_code``) behind a namespace prefix, and
a map value (``kvlistValue``) continues the dotted key, so every leaf is one
field that the tail's ``field=`` filter and the search engine reach by the same
dotted name. Values become what JSON holds: strings, booleans, int64 as ints,
doubles as floats, ``bytesValue`` as its base64 text (how OTLP/JSON writes it),
arrays as lists (a map inside an array stays a nested object), and an unset
value as null (so is ``string_value_strindex``, an index into the string table
that only profiles have).

Nothing is overwritten: a key given twice, a key that names a field inside
another attribute's value (``http`` = "x" beside ``http.status``), which the
search engine could not store in one document, and a key no dotted path can
spell (empty, or with an empty segment such as ``a..b``) all raise
:class:`FieldConflict`; the caller refuses the record and says why.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

__all__ = ["FieldConflict", "flatten_attributes", "plain_value"]


class FieldConflict(ValueError):
    """Fields that cannot all be stored as sent; ``str(err)`` names the key."""


def flatten_attributes(attributes: Iterable[KeyValue], prefix: str) -> dict[str, Any]:
    """``attributes`` as dotted fields, each key behind ``prefix`` (``"attributes."``)."""
    fields: dict[str, Any] = {}
    for attribute in attributes:
        _put(fields, prefix, attribute.key, attribute.value)
    # Search engines store "a.b" as field b of object a, so a value at "a"
    # would have to be an object and a scalar at once: the document would be
    # refused at indexing, far from the client that could fix it.
    start = len(prefix)
    for name in fields:
        dot = name.find(".", start)
        while dot != -1:
            if name[:dot] in fields:
                raise FieldConflict(
                    f"attribute {name[start:]!r} lies inside attribute {name[start:dot]!r}, "
                    "which holds a value"
                )
            dot = name.find(".", dot + 1)
    return fields


def plain_value(value: AnyValue) -> Any:
    """One ``AnyValue`` as a JSON-like Python value; a map stays a (nested) dict."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "kvlist_value":
        mapping: dict[str, Any] = {}
        for entry in value.kvlist_value.values:
            if entry.key in mapping:
                raise FieldConflict(f"key {entry.key!r} is given twice in one map")
            mapping[entry.key] = plain_value(entry.value)
        return mapping
    if kind == "array_value":
        return [plain_value(item) for item in value.array_value.values]
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    if kind is None or kind == "string_value_strindex":
        # A strindex points into the string table of a profile; logs have none.
        return None
    return getattr(value, kind)  # bool_value, int_value, double_value


def _put(fields: dict[str, Any], prefix: str, key: str, value: AnyValue) -> None:
    # Runs once per attribute of every record: the common string value is read
    # without going through plain_value.
    kind = value.WhichOneof("value")
    if kind == "string_value":
        plain = value.string_value
    elif kind == "kvlist_value" and value.kvlist_value.values:
        for entry in value.kvlist_value.values:
            _put(fields, prefix, f"{key}.{entry.key}", entry.value)
        return
    else:
        plain = plain_value(value)
    if not key or ("." in key and (key[0] == "." or key[-1] == "." or ".." in key)):
        raise FieldConflict(
            f"attribute key {key!r} cannot be stored: a key must be non-empty and have "
            "no empty dotted segment"
        )
    name = prefix + key
    if name in fields:
        raise FieldConflict(f"attribute {key!r} is given twice")
    fields[name] = plain
