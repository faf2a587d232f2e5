"""One Barito event per OTLP ``LogRecord``, its fields laid out the same way for every sender.

    >>> from datetime import UTC, datetime
    >>> from barito_receiver.otlp.decode import decode_request
    >>> export = decode_request(b'''{"resourceLogs":[{"resource":{"attributes":[
    ...   {"key":"service.name","value":{"stringValue":"api"}}]},
    ...   "scopeLogs":[{"scope":{"name":"app.log"},"logRecords":[{
    ...   "timeUnixNano":"1700000000500000000","severityNumber":17,"severityText":"ERROR",
    ...   "body":{"stringValue":"boom"},
    ...   "attributes":[{"key":"http.status","value":{"intValue":"500"}}],
    ...   "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
    ...   "flags":1}]}]}]}''', "application/json")
    >>> [event] = log_events(export, received_at=datetime(2024, 1, 1, tzinfo=UTC)).events
    >>> event.time
    '2023-11-14T22:13:20.500Z'
    >>> event.record  # doctest: +NORMALIZE_WHITESPACE
    {'message': 'boom', 'level': 'error', 'severity_text': 'ERROR', 'severity_number': 17,
     'trace_id': '5b8efff798038103d269b633813fc60c', 'span_id': 'eee19b7ec3c1b174',
     'flags': 1, 'attributes.http.status': 500, 'resource.attributes.service.name': 'api',
     'scope.name': 'app.log'}

The event's time (``@timestamp`` once indexed) is ``timeUnixNano``, else
``observedTimeUnixNano``, else the time the request was received. The record:

==============================  =============================================================
``message``                     a string body; a number or boolean body as its text, a bytes
                                body as base64
``body``                        a map or array body, kept structured (nested objects, lists)
``level``                       ``trace`` ``debug`` ``info`` ``warn`` ``error`` ``fatal``
                                from ``severityNumber``, else ``severityText`` in lower case:
                                the field the tail's level filter and colours read
``severity_text``               as sent, when set
``severity_number``             1-24, when set
``trace_id`` ``span_id``        lowercase hex; absent when empty, all zero or not 16 / 8 bytes
``flags``                       as sent, when not 0 (its low 8 bits are the W3C trace flags)
``event_name``                  when set
``observed_timestamp``          ``observedTimeUnixNano`` in the event time's format, when set
``dropped_attributes_count``    when not 0
``attributes.<key>``            each attribute of the record
``resource.attributes.<key>``   each attribute of the resource (``service.name`` is
                                ``resource.attributes.service.name``), plus
                                ``resource.schema_url`` and
                                ``resource.dropped_attributes_count`` when set
``scope.name`` ``scope.version``  the instrumentation scope, plus ``scope.attributes.<key>``,
                                ``scope.schema_url`` and ``scope.dropped_attributes_count``
==============================  =============================================================

Why namespaces rather than every attribute at the top level: a record's
attributes, its resource's and its scope's share one key space in OpenTelemetry
(a record may carry its own ``service.name``), and a top-level attribute could
land on a field Barito owns (``@timestamp``, ``barito.app``, ``message``). Under
``attributes.``, ``resource.attributes.`` and ``scope.`` no two sources can
meet, and the names are those of Elasticsearch's OpenTelemetry-native layout,
so saved queries carry over. Keys are flattened as
:mod:`barito_receiver.otlp.flatten` says; a record whose fields collide there
is refused (partial success) with the reason, never stored with one value lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs

from barito_common.chunk_codec import Event, format_event_time
from barito_receiver.otlp.flatten import FieldConflict, flatten_attributes, plain_value

__all__ = ["LEVELS", "LogEvents", "RecordPlace", "log_events"]

LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
"""The ``level`` of each range of four severity numbers, from 1-4 (TRACE) to 21-24 (FATAL)."""

_TRACE_ID_BYTES = 16
_SPAN_ID_BYTES = 8
_NANOS_PER_SECOND = 1_000_000_000
_NANOS_PER_MILLI = 1_000_000
# Built without the NamedTuples' Python-level __new__: this runs once per record.
_tuple_new = tuple.__new__


@dataclass
class LogEvents:
    """The events of one export request, and why each refused log record was refused."""

    events: list[Event] = field(default_factory=list)
    places: list[RecordPlace] = field(default_factory=list)
    """Where each event's log record was in the request, for a refusal to name it."""
    refused: list[str] = field(default_factory=list)


class RecordPlace(NamedTuple):
    """A log record's position: ``resourceLogs[r].scopeLogs[s].logRecords[n]``."""

    resource: int
    scope: int
    record: int

    def __str__(self) -> str:
        return f"resourceLogs[{self.resource}].scopeLogs[{self.scope}].logRecords[{self.record}]"


class _NanosClock:
    """Epoch nanoseconds as event times, formatting each second once.

    Formatting a datetime costs several times the rest of an event's time,
    while a batch's records almost always share their second with the record
    before.
    """

    __slots__ = ("_second", "_text")

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def time(self, nanos: int) -> str | None:
        """``2023-11-14T22:13:20.500Z``; None for 0 (unknown) or a time past year 9999."""
        if not nanos:
            return None
        second, rest = divmod(nanos, _NANOS_PER_SECOND)
        if second != self._second:
            try:
                text = datetime.fromtimestamp(second, UTC).isoformat()[:19]
            except (OverflowError, OSError, ValueError):
                return None
            self._second, self._text = second, text
        return f"{self._text}.{rest // _NANOS_PER_MILLI:03d}Z"


def log_events(export: ExportLogsServiceRequest, *, received_at: datetime) -> LogEvents:
    """An event per log record of ``export``, in order; refused records are named, not events."""
    result = LogEvents()
    events, places, refused = result.events, result.places, result.refused
    received = format_event_time(received_at)
    times, observed_times = _NanosClock(), _NanosClock()
    for r, resource_logs in enumerate(export.resource_logs):
        for s, scope_logs in enumerate(resource_logs.scope_logs):
            try:
                shared = _resource_fields(resource_logs) | _scope_fields(scope_logs)
            except FieldConflict as err:
                refused += [f"resourceLogs[{r}].scopeLogs[{s}]: {err}"] * len(
                    scope_logs.log_records
                )
                continue
            for n, log_record in enumerate(scope_logs.log_records):
                try:
                    record = _record_fields(log_record)
                except FieldConflict as err:
                    refused.append(f"{RecordPlace(r, s, n)}: {err}")
                    continue
                observed = observed_times.time(log_record.observed_time_unix_nano)
                if observed is not None:
                    record["observed_timestamp"] = observed
                record.update(shared)
                # 0 means unknown for both times; so does one too far out to format.
                time = times.time(log_record.time_unix_nano) or observed or received
                events.append(_tuple_new(Event, (time, record)))
                places.append(_tuple_new(RecordPlace, (r, s, n)))
    return result


def _record_fields(log_record: LogRecord) -> dict[str, Any]:
    record: dict[str, Any] = {}
    body = log_record.body
    kind = body.WhichOneof("value")
    if kind == "string_value":
        record["message"] = body.string_value
    elif kind is not None:
        plain = plain_value(body)
        if type(plain) is dict or type(plain) is list:
            record["body"] = plain
        elif type(plain) is bool:
            record["message"] = "true" if plain else "false"
        elif plain is not None:
            record["message"] = str(plain)
    number = log_record.severity_number
    text = log_record.severity_text
    if 1 <= number <= 4 * len(LEVELS):
        record["level"] = LEVELS[(number - 1) // 4]
    elif text:
        record["level"] = text.lower()
    if text:
        record["severity_text"] = text
    if number:
        record["severity_number"] = number
    trace_id = log_record.trace_id
    if len(trace_id) == _TRACE_ID_BYTES and any(trace_id):
        record["trace_id"] = trace_id.hex()
    span_id = log_record.span_id
    if len(span_id) == _SPAN_ID_BYTES and any(span_id):
        record["span_id"] = span_id.hex()
    if log_record.flags:
        record["flags"] = log_record.flags
    if log_record.event_name:
        record["event_name"] = log_record.event_name
    if log_record.dropped_attributes_count:
        record["dropped_attributes_count"] = log_record.dropped_attributes_count
    if log_record.attributes:
        record.update(flatten_attributes(log_record.attributes, "attributes."))
    return record


def _resource_fields(resource_logs: ResourceLogs) -> dict[str, Any]:
    resource = resource_logs.resource
    fields = flatten_attributes(resource.attributes, "resource.attributes.")
    if resource_logs.schema_url:
        fields["resource.schema_url"] = resource_logs.schema_url
    if resource.dropped_attributes_count:
        fields["resource.dropped_attributes_count"] = resource.dropped_attributes_count
    return fields


def _scope_fields(scope_logs: ScopeLogs) -> dict[str, Any]:
    scope = scope_logs.scope
    fields: dict[str, Any] = {}
    if scope.name:
        fields["scope.name"] = scope.name
    if scope.version:
        fields["scope.version"] = scope.version
    if scope_logs.schema_url:
        fields["scope.schema_url"] = scope_logs.schema_url
    if scope.dropped_attributes_count:
        fields["scope.dropped_attributes_count"] = scope.dropped_attributes_count
    fields.update(flatten_attributes(scope.attributes, "scope.attributes."))
    return fields
