"""An OTLP/HTTP request body as an ``ExportLogsServiceRequest``: protobuf or OTLP/JSON.

    >>> export = decode_request(b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[{'
    ...     b'"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174",'
    ...     b'"severityNumber":9,"timeUnixNano":1700000000000000000,"someFutureField":1}]}]}]}',
    ...     "application/json; charset=utf-8")
    >>> record = export.resource_logs[0].scope_logs[0].log_records[0]
    >>> record.trace_id.hex(), record.span_id.hex(), record.severity_number
    ('5b8efff798038103d269b633813fc60c', 'eee19b7ec3c1b174', 9)
    >>> decode_request(export.SerializeToString(), "application/x-protobuf") == export
    True

OTLP/JSON is protobuf's JSON mapping with deviations (OTLP specification,
"JSON Protobuf Encoding"), which the stock parser gets wrong by default: trace
and span ids are hex, not base64, so they are turned into bytes before
parsing, and unknown fields MUST be ignored (a newer sender's additions).
What the stock mapping already accepts is kept: lowerCamelCase or snake_case
keys, int64 as strings or numbers, enums as ints or names.

Errors are the receiver's ``BodyError`` family: :class:`UnsupportedMediaType`
(415) for a Content-Type that is neither, :class:`MalformedBody` (400) naming
what is wrong, :class:`BodyTooLarge` (413) past ``max_records`` log records.
"""

from __future__ import annotations

import base64
import enum
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from barito_receiver.decode_errors import (
    BodyTooLarge,
    MalformedBody,
    UnsupportedMediaType,
    excerpt,
)

__all__ = ["Encoding", "decode_request", "encoding_of"]


class Encoding(enum.Enum):
    """How a request was encoded, and so how its answer is."""

    PROTOBUF = "application/x-protobuf"
    JSON = "application/json"


_MEDIA_TYPES = {
    "application/x-protobuf": Encoding.PROTOBUF,
    "application/protobuf": Encoding.PROTOBUF,
    "application/json": Encoding.JSON,
}
_PROBLEM_CHARS = 400
_ID_FIELDS = (("traceId", 16), ("trace_id", 16), ("spanId", 8), ("span_id", 8))


def encoding_of(content_type: str | None) -> Encoding:
    """The encoding a Content-Type names; :class:`UnsupportedMediaType` for any other."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    encoding = _MEDIA_TYPES.get(media_type)
    if encoding is None:
        raise UnsupportedMediaType(
            f"Content-Type {excerpt(media_type)} is not OTLP; send application/x-protobuf "
            "or application/json"
        )
    return encoding


def decode_request(
    body: bytes, content_type: str | None, *, max_records: int | None = None
) -> ExportLogsServiceRequest:
    """Decode ``body`` (already decompressed) as the Content-Type says, or raise a ``BodyError``."""
    if encoding_of(content_type) is Encoding.PROTOBUF:
        export = _from_protobuf(body)
    else:
        export = _from_json(body)
    if max_records is not None:
        count = sum(
            len(scope_logs.log_records)
            for resource_logs in export.resource_logs
            for scope_logs in resource_logs.scope_logs
        )
        if count > max_records:
            raise BodyTooLarge(
                f"request holds {count} log records, over the limit of {max_records}"
            )
    return export


def _from_protobuf(body: bytes) -> ExportLogsServiceRequest:
    export = ExportLogsServiceRequest()
    try:
        export.ParseFromString(body)
    except DecodeError as err:
        # upb says no more than this: truncated data, a wrong wire type, invalid
        # UTF-8 in a string, or nesting deeper than its recursion limit.
        raise MalformedBody(
            f"body is not a protobuf ExportLogsServiceRequest ({err}): it is truncated, "
            "corrupt, holds a string that is not UTF-8 or nests values too deeply"
        ) from err
    return export


def _from_json(body: bytes) -> ExportLogsServiceRequest:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise MalformedBody(f"body is not JSON: {err}") from err
    if not isinstance(document, dict):
        raise MalformedBody(
            "body is not an OTLP/JSON ExportLogsServiceRequest object: "
            f"got {type(document).__name__}"
        )
    _ids_as_base64(document)
    export = ExportLogsServiceRequest()
    try:
        json_format.ParseDict(document, export, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as err:
        # The parser names the field path, once per level: deep nesting repeats it.
        problem = str(err)
        if len(problem) > _PROBLEM_CHARS:
            problem = problem[:_PROBLEM_CHARS] + "…"
        raise MalformedBody(
            f"body is not a valid OTLP/JSON ExportLogsServiceRequest: {problem}"
        ) from err
    return export


def _ids_as_base64(document: dict[str, Any]) -> None:
    """Rewrite the hex trace and span ids of every log record as protobuf JSON's base64."""
    # Only well-formed paths are walked: anything of the wrong type is left for
    # ParseDict to refuse with its own message naming the field.
    for r, resource_logs in _items(document, "resourceLogs", "resource_logs"):
        for s, scope_logs in _items(resource_logs, "scopeLogs", "scope_logs"):
            for n, log_record in _items(scope_logs, "logRecords", "log_records"):
                for key, size in _ID_FIELDS:
                    value = log_record.get(key)
                    if isinstance(value, str) and value:
                        path = f"resourceLogs[{r}].scopeLogs[{s}].logRecords[{n}].{key}"
                        log_record[key] = _hex_id_as_base64(value, size, path)


def _items(parent: dict[str, Any], *keys: str) -> list[tuple[int, dict[str, Any]]]:
    """The objects of the first of ``keys`` that holds a list, with their positions."""
    for key in keys:
        value = parent.get(key)
        if isinstance(value, list):
            return [(n, item) for n, item in enumerate(value) if isinstance(item, dict)]
    return []


def _hex_id_as_base64(value: str, size: int, path: str) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise MalformedBody(
            f"{path} {excerpt(value)} is not hex: OTLP/JSON writes ids as {size * 2} hex "
            "characters, not base64"
        ) from None
    return base64.b64encode(raw).decode("ascii")
