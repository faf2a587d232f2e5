"""The answers of POST /v1/logs, without Kafka: success, partial success, google.rpc.Status."""

from __future__ import annotations

import orjson
import pytest
from google.protobuf import json_format
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from barito_receiver.otlp.decode import Encoding
from barito_receiver.otlp.ingest import ExportOutcome
from barito_receiver.otlp.response import export_answer, failure_answer


def test_success_is_an_empty_response_in_the_request_encoding() -> None:
    protobuf = export_answer(Encoding.PROTOBUF)
    assert (protobuf.status_code, protobuf.body) == (200, b"")
    assert protobuf.headers["content-type"] == "application/x-protobuf"
    as_json = export_answer(Encoding.JSON)
    assert (as_json.status_code, as_json.body) == (200, b"{}")
    assert as_json.headers["content-type"] == "application/json"


def test_partial_success_counts_and_explains_the_refused_records() -> None:
    outcome = ExportOutcome(accepted=6, refused=[f"logRecords[{n}]: too big" for n in range(4)])
    assert outcome.message == (
        "4 of 10 log records refused: logRecords[0]: too big; logRecords[1]: too big; "
        "logRecords[2]: too big; and 1 more"
    )
    answer = export_answer(Encoding.PROTOBUF, rejected=4, message=outcome.message)
    parsed = ExportLogsServiceResponse.FromString(answer.body)
    assert parsed.partial_success.rejected_log_records == 4
    assert parsed.partial_success.error_message == outcome.message
    as_json = orjson.loads(export_answer(Encoding.JSON, rejected=4, message="why").body)
    assert as_json == {"partialSuccess": {"rejectedLogRecords": "4", "errorMessage": "why"}}


@pytest.mark.parametrize(
    ("status", "grpc_code", "headers"),
    [
        (400, 3, None),
        (401, 16, None),
        (403, 7, None),
        (413, 8, None),
        (415, 3, None),
        (429, 8, {"Retry-After": "2"}),
        (503, 14, {"Retry-After": "5"}),
    ],
)
def test_failures_are_a_google_rpc_status_in_the_request_encoding(
    status, grpc_code, headers
) -> None:
    answer = failure_answer(Encoding.PROTOBUF, status, "what went wrong", code="x", headers=headers)
    assert answer.status_code == status
    assert answer.headers.get("retry-after") == (headers or {}).get("Retry-After")
    parsed = Status.FromString(answer.body)
    assert (parsed.code, parsed.message) == (grpc_code, "what went wrong")
    as_json = orjson.loads(failure_answer(Encoding.JSON, status, "what went wrong", code="x").body)
    assert as_json["code"] == grpc_code
    assert as_json["message"] == "what went wrong"
    assert as_json["details"][0]["reason"] == "x"
    assert json_format.ParseDict(as_json, Status()).message == "what went wrong"
