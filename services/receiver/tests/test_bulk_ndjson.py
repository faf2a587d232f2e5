"""The bulk body parser, the reply shapes and the credentials, without any engine."""

from __future__ import annotations

import base64
import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers

from barito_common.errors import ApiError
from barito_receiver.bulk.credentials import secret_of
from barito_receiver.bulk.ndjson import parse_bulk
from barito_receiver.bulk.responses import (
    ElasticError,
    ItemError,
    ItemResult,
    bulk_body,
    from_api_error,
)


def parse(body: bytes, index: str | None = None, max_actions: int = 100):  # type: ignore[no-untyped-def]
    return parse_bulk(body, default_index=index, max_actions=max_actions)


def test_index_and_create_pairs_keep_their_documents_exactly() -> None:
    body = (
        b'{"index":{"_index":"web","_id":"a1","_type":"_doc","pipeline":"p"}}\n'
        b'{"message":"one","n":1,"nested":{"k":[1,2]}}\r\n'
        b'{"create":{}}\n'
        b'{"@timestamp":"2023-11-14T22:13:20.500Z","message":"two"}\n'
    )
    first, second = parse(body, index="from-path")
    assert (first.op, first.index, first.id, first.error) == ("index", "web", "a1", None)
    assert first.source == {"message": "one", "n": 1, "nested": {"k": [1, 2]}}
    assert (second.op, second.index, second.id) == ("create", "from-path", None)
    assert second.source == {"@timestamp": "2023-11-14T22:13:20.500Z", "message": "two"}


def test_numeric_id_is_read_as_text_as_elasticsearch_does() -> None:
    [action] = parse(b'{"index":{"_id":7}}\n{"m":1}\n')
    assert action.id == "7"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b'{"message": "unterminated', "failed to parse"),
        (b"[1,2]", "is a JSON array, not an object"),
        (b'"text"', "is a JSON string, not an object"),
        (b"", "is empty"),
    ],
)
def test_bad_document_fails_only_its_item(document: bytes, reason: str) -> None:
    body = b'{"create":{}}\n' + document + b'\n{"create":{}}\n{"m":"good"}\n'
    bad, good = parse(body)
    assert bad.source is None
    assert bad.error is not None
    assert (bad.error.status, bad.error.type) == (400, "document_parsing_exception")
    assert reason in bad.error.reason
    assert "line [2]" in bad.error.reason or "[2:" in bad.error.reason
    assert good.source == {"m": "good"} and good.error is None


def test_update_and_delete_are_refused_per_item_and_update_source_is_skipped() -> None:
    body = (
        b'{"update":{"_id":"u"}}\n{"doc":{"m":1}}\n'
        b'{"delete":{"_id":"d"}}\n'
        b'{"index":{}}\n{"m":"kept"}\n'
    )
    update, delete, index = parse(body)
    for refused in (update, delete):
        assert refused.error is not None and refused.error.status == 400
        assert "append-only" in refused.error.reason
        assert refused.op in refused.error.reason
    assert index.source == {"m": "kept"}


@pytest.mark.parametrize(
    ("body", "type_", "reason"),
    [
        (b'{"create":{}}\n{"m":1}', "illegal_argument_exception", "terminated by a newline"),
        (b"\n\n", "action_request_validation_exception", "no requests added"),
        (b"not json\n{}\n", "x_content_parse_exception", "Malformed action/metadata line [1]"),
        (b'{"upsert":{}}\n{}\n', "illegal_argument_exception", "but found [upsert]"),
        (b'{"index":{},"create":{}}\n{}\n', "illegal_argument_exception", "object of 2 keys"),
        (b'{"index":[]}\n{}\n', "illegal_argument_exception", "found array"),
        (b'{"index":{"_index":["a"]}}\n{}\n', "illegal_argument_exception", "[_index] must be"),
        (b'{"m":1}\n{"index":{}}\n{}\n', "illegal_argument_exception", "but found [m]"),
        (b'{"create":{}}\n', "illegal_argument_exception", "no document line"),
    ],
)
def test_broken_action_line_fails_the_whole_request(body: bytes, type_: str, reason: str) -> None:
    with pytest.raises(ElasticError) as caught:
        parse(body)
    assert (caught.value.status, caught.value.type) == (400, type_)
    assert reason in caught.value.reason


def test_more_actions_than_the_limit_is_413() -> None:
    with pytest.raises(ElasticError) as caught:
        parse(b'{"create":{}}\n{}\n' * 3, max_actions=2)
    assert caught.value.status == 413
    assert "more than 2 actions" in caught.value.reason


def test_bulk_reply_is_compact_with_keys_in_elasticsearch_order() -> None:
    ok = ItemResult("create", "logs", "a1", 201)
    failed = ItemResult(
        "index", "logs", "a2", 400, ItemError(400, "document_parsing_exception", "bad")
    )
    body = bulk_body(5, [ok, failed])
    assert body.startswith(b'{"took":5,"errors":true,"items":[{"create":{')
    assert b" " not in body.replace(b"a1", b"")
    items = orjson.loads(body)["items"]
    assert items[0] == {
        "create": {
            "_index": "logs",
            "_id": "a1",
            "_version": 1,
            "result": "created",
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": 0,
            "_primary_term": 1,
            "status": 201,
        }
    }
    assert items[1] == {
        "index": {
            "_index": "logs",
            "_id": "a2",
            "status": 400,
            "error": {"type": "document_parsing_exception", "reason": "bad"},
        }
    }
    assert bulk_body(1, [ok]).startswith(b'{"took":1,"errors":false,"items":[')


def test_barito_refusals_become_elasticsearch_errors() -> None:
    unknown = from_api_error(ApiError(401, "Unknown app secret."))
    assert (unknown.type, unknown.status) == ("security_exception", 401)
    assert [value for name, value in unknown.headers if name == "WWW-Authenticate"] == [
        'Basic realm="security", charset="UTF-8"',
        "ApiKey",
    ]
    rate = from_api_error(ApiError(429, "over", headers={"Retry-After": "3"}))
    assert (rate.type, rate.headers) == ("es_rejected_execution_exception", [("Retry-After", "3")])
    assert from_api_error(ApiError(403, "inactive")).type == "security_exception"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("authorization", "secret"),
    [
        (f"Basic {_b64('shop:s3cret')}", "s3cret"),
        (f"Basic {_b64('anyone:pa:ss')}", "pa:ss"),
        (f"basic {_b64('shop:s3cret')}", "s3cret"),
        (f"ApiKey {_b64('id-1:s3cret')}", "s3cret"),
        ("ApiKey raw-secret_value", "raw-secret_value"),
        ("Bearer s3cret", None),
        ("", None),
    ],
)
def test_secret_from_the_credentials_clients_send(authorization: str, secret: str | None) -> None:
    headers = Headers({"authorization": authorization} if authorization else {})
    assert secret_of(headers) == secret


@pytest.mark.parametrize(
    "authorization", ["Basic !!!", f"Basic {_b64('no-colon')}", f"Basic {_b64('shop:')}", "ApiKey "]
)
def test_unusable_basic_or_api_key_is_401(authorization: str) -> None:
    with pytest.raises(ApiError) as caught:
        secret_of(Headers({"authorization": authorization}))
    assert caught.value.status == 401


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=8,
)
_lines = st.lists(
    st.binary(max_size=40)
    | _json_values.map(lambda value: json.dumps(value).encode())
    | st.sampled_from([b'{"index":{}}', b'{"create":{"_id":"a"}}', b'{"delete":{}}', b""]),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(lines=_lines, terminated=st.booleans())
def test_any_body_is_parsed_or_refused_as_elasticsearch_does(
    lines: list[bytes], terminated: bool
) -> None:
    body = b"\n".join(lines) + (b"\n" if terminated else b"")
    try:
        actions = parse(body)
    except ElasticError as err:
        assert err.status in (400, 413)
        return
    assert actions
    for action in actions:
        assert (action.source is None) == (action.error is not None)
