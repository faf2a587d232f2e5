"""The answers of ``POST /v1/logs``, in the request's own encoding, as the OTLP spec says.

    >>> export_answer(Encoding.JSON).body
    b'{}'
    >>> export_answer(Encoding.JSON, rejected=1, message="record too large").body
    b'{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"record too large"}}'
    >>> answer = failure_answer(Encoding.JSON, 400, "body is not JSON", code="malformed_body")
    >>> answer.status_code, answer.body  # doctest: +ELLIPSIS
    (400, b'{"code":3,"message":"body is not JSON","details":[{"@type":...ErrorInfo",...}]}')

* Success: 200 with an ``ExportLogsServiceResponse`` whose ``partial_success``
  is unset: an empty protobuf body, or ``{}``.
* Partial success: still 200, with ``rejected_log_records`` and an
  ``error_message`` saying why; the client must not send those records again.
* Failure: the 4xx or 5xx status with a ``google.rpc.Status`` body, which is
  what exporters read and log. OTLP does not use ``Status.code``; it is set to
  the gRPC code that means the same as the HTTP status, for whoever reads it,
  and Barito's own error code goes in an ``ErrorInfo`` detail. ``Retry-After``
  goes with 429 and 503, the only failures (with 502 and 504) an exporter
  retries.
"""

from __future__ import annotations

import orjson
from google.protobuf import json_format
from google.protobuf.any_pb2 import Any as AnyDetail
from google.protobuf.message import Message
from google.rpc import code_pb2
from google.rpc.error_details_pb2 import ErrorInfo
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceResponse,
)
from starlette.responses import Response

from barito_receiver.otlp.decode import Encoding

__all__ = ["ERROR_DOMAIN", "export_answer", "failure_answer"]

ERROR_DOMAIN = "barito.receiver"
"""``ErrorInfo.domain`` of the failures this receiver answers."""

_GRPC_CODES = {
    400: code_pb2.INVALID_ARGUMENT,
    401: code_pb2.UNAUTHENTICATED,
    403: code_pb2.PERMISSION_DENIED,
    409: code_pb2.FAILED_PRECONDITION,
    413: code_pb2.RESOURCE_EXHAUSTED,
    415: code_pb2.INVALID_ARGUMENT,
    429: code_pb2.RESOURCE_EXHAUSTED,
    503: code_pb2.UNAVAILABLE,
}


def export_answer(encoding: Encoding, *, rejected: int = 0, message: str = "") -> Response:
    """200: every record taken, or all but ``rejected`` of them, ``message`` saying why."""
    answer = ExportLogsServiceResponse()
    if rejected:
        answer.partial_success.CopyFrom(
            ExportLogsPartialSuccess(rejected_log_records=rejected, error_message=message)
        )
    return _answer(encoding, answer, 200)


def failure_answer(
    encoding: Encoding,
    status: int,
    message: str,
    *,
    code: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """``status`` with a ``google.rpc.Status`` saying ``message``; ``code`` is Barito's."""
    detail = AnyDetail()
    detail.Pack(ErrorInfo(reason=code, domain=ERROR_DOMAIN))
    body = Status(
        code=_GRPC_CODES.get(status, code_pb2.UNKNOWN if status < 500 else code_pb2.INTERNAL),
        message=message,
        details=[detail],
    )
    return _answer(encoding, body, status, headers)


def _answer(
    encoding: Encoding, message: Message, status: int, headers: dict[str, str] | None = None
) -> Response:
    if encoding is Encoding.PROTOBUF:
        content = message.SerializeToString()
    else:
        content = orjson.dumps(json_format.MessageToDict(message))
    return Response(content, status_code=status, headers=headers, media_type=encoding.value)
