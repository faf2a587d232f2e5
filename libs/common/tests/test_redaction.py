"""Redaction rules: which are refused, and what each kind and detector does to a record."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import orjson
import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from barito_common.redaction import (
    MAX_RULES_PER_APP,
    BadRedactionRule,
    RedactionKind,
    RedactionRuleSpec,
    compile_redactor,
    mask_for,
)
from barito_common.redaction_detectors import DETECTOR_PATTERNS, replacer


def rule(name: str, kind: str, **fields: Any) -> RedactionRuleSpec:
    return RedactionRuleSpec(id=uuid.uuid4(), name=name, kind=RedactionKind(kind), **fields)


def redacted(record: dict[str, Any], *rules: RedactionRuleSpec) -> dict[str, Any]:
    compile_redactor(rules).apply(record)
    return record


def detector(name: str) -> RedactionRuleSpec:
    return rule(name, "detector", detector=name)


# --- refused rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"kind": "drop"}, "a drop rule needs a field"),
        ({"kind": "mask", "field": "a..b"}, "a mask rule needs a field"),
        ({"kind": "mask", "field": "a", "pattern": "x"}, "a mask rule takes no pattern"),
        ({"kind": "pattern"}, "a pattern rule needs a pattern"),
        ({"kind": "pattern", "pattern": r"(a)\1"}, "is not valid RE2 syntax"),
        ({"kind": "pattern", "pattern": "(?=a)"}, "look-arounds are not supported"),
        ({"kind": "pattern", "pattern": "a*"}, "matches the empty string"),
        ({"kind": "detector", "detector": "email", "field": "x"}, "takes no field"),
    ],
)
def test_a_bad_rule_is_refused_naming_it_and_the_problem(
    fields: dict[str, Any], problem: str
) -> None:
    bad = rule("bad-one", **fields)
    with pytest.raises(BadRedactionRule) as caught:
        compile_redactor([detector("email"), bad])
    assert caught.value.rule_name == "bad-one"
    assert "'bad-one'" in str(caught.value) and problem in str(caught.value)


def test_an_unknown_detector_is_refused_listing_the_known_ones() -> None:
    # The spec's Literal already refuses it; a profile built without validation must not pass.
    unknown = RedactionRuleSpec.model_construct(
        id=uuid.uuid4(), name="x", kind=RedactionKind.DETECTOR, detector="iban"
    )
    with pytest.raises(BadRedactionRule, match=r"unknown detector 'iban'.*credit_card, email"):
        compile_redactor([unknown])


def test_duplicate_names_and_too_many_rules_are_refused() -> None:
    with pytest.raises(BadRedactionRule, match="same name") as caught:
        compile_redactor([detector("email"), rule("email", "drop", field="a")])
    assert caught.value.rule_name == "email"
    many = [rule(f"r{n}", "drop", field=f"f{n}") for n in range(MAX_RULES_PER_APP + 1)]
    with pytest.raises(BadRedactionRule, match=f"at most {MAX_RULES_PER_APP}"):
        compile_redactor(many)
    record = {f"f{n}": n for n in range(MAX_RULES_PER_APP + 1)}
    compile_redactor(many[:MAX_RULES_PER_APP]).apply(record)
    assert record == {f"f{MAX_RULES_PER_APP}": MAX_RULES_PER_APP}


def test_a_redactor_without_rules_changes_nothing() -> None:
    record = {"message": "paid 4111 1111 1111 1111 by jane@example.com", "n": 1}
    assert redacted(dict(record)) == record


# --- fields -------------------------------------------------------------------------------


def test_drop_and_mask_follow_dotted_paths_and_a_missing_path_does_nothing() -> None:
    record = {"user": {"email": "a@b.c", "name": "Ann"}, "token": "t", "n": 1, "list": [1]}
    rules = [
        rule("no-mail", "drop", field="user.email"),
        rule("tok", "mask", field="token"),
        rule("gone", "drop", field="user.missing.deeper"),
        rule("in-list", "mask", field="list.0"),
        rule("absent", "mask", field="nowhere"),
    ]
    assert redacted(record, *rules) == {
        "user": {"name": "Ann"},
        "token": mask_for("tok"),
        "n": 1,
        "list": [1],
    }


def test_a_literal_dotted_key_wins_over_nesting() -> None:
    record = {"user.email": "x", "user": {"email": "y"}}
    assert redacted(record, rule("m", "mask", field="user.email")) == {
        "user.email": mask_for("m"),
        "user": {"email": "y"},
    }


def test_a_masked_field_names_its_rule_even_when_a_pattern_matches_its_value() -> None:
    rules = [rule("words", "pattern", pattern="[a-z]+"), rule("pw", "mask", field="password")]
    record = redacted({"password": "hunter", "other": "abc 1"}, *rules)
    assert record == {"password": mask_for("pw"), "other": f"{mask_for('words')} 1"}


# --- patterns -----------------------------------------------------------------------------


def test_a_pattern_masks_strings_at_any_depth_and_leaves_keys_numbers_and_bytes() -> None:
    record = {
        "msg": "order secret-12 and secret-34",
        "secret-99": [{"deep": ["x secret-5"]}, 7, None, b"secret-6"],
    }
    assert redacted(record, rule("sec", "pattern", pattern=r"secret-\d+")) == {
        "msg": f"order {mask_for('sec')} and {mask_for('sec')}",
        "secret-99": [{"deep": [f"x {mask_for('sec')}"]}, 7, None, b"secret-6"],
    }


def test_anchored_patterns_match_each_string_alone() -> None:
    rules = [rule("head", "pattern", pattern="^key"), rule("tail", "pattern", pattern="end$")]
    record = redacted({"a": "no key", "b": "key here", "c": "the end", "d": "end no"}, *rules)
    assert record == {
        "a": "no key",
        "b": f"{mask_for('head')} here",
        "c": f"the {mask_for('tail')}",
        "d": "end no",
    }


def test_non_ascii_text_around_a_match_survives() -> None:
    record = redacted({"m": "café ☕ jane@example.com ünï"}, detector("email"))
    assert record == {"m": f"café ☕ {mask_for('email')} ünï"}


# --- detectors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111111111111111 ok", "card [redacted:credit_card] ok"),
        ("card 4111 1111 1111 1111.", "card [redacted:credit_card]."),
        ("card 4111-1111-1111-1111", "card [redacted:credit_card]"),
        ("amex 378282246310005", "amex [redacted:credit_card]"),
        ("not luhn 4111111111111112", "not luhn 4111111111111112"),
        ("too long 41111111111111110000000", "too long 41111111111111110000000"),
        ("double space 4111  1111 1111 1111", "double space 4111  1111 1111 1111"),
        ("id x4111111111111111", "id x4111111111111111"),
    ],
)
def test_credit_card_numbers_are_masked_only_when_luhn_valid_and_standing_alone(
    text: str, expected: str
) -> None:
    assert redacted({"m": text}, detector("credit_card")) == {"m": expected}


def test_a_card_number_sent_as_a_json_number_is_masked() -> None:
    record = redacted(
        {"card": 4111111111111111, "count": 4111111111111112}, detector("credit_card")
    )
    assert record == {"card": mask_for("credit_card"), "count": 4111111111111112}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("email", "from Jane.Doe+x@mail.example.co.uk.", "from [redacted:email]."),
        ("email", "user@localhost has no dot", "user@localhost has no dot"),
        ("bearer_token", "auth: Bearer abc.DEF-123_~+/=", "auth: Bearer [redacted:bearer_token]"),
        ("bearer_token", "bearer   xyz", "bearer   [redacted:bearer_token]"),
        ("jwt", "t=eyJhbGciOi.eyJzdWIiOiIx.c2ln-_x end", "t=[redacted:jwt] end"),
        ("jwt", "eyJonly.one", "eyJonly.one"),
        ("aws_key", "key AKIAIOSFODNN7EXAMPLE used", "key [redacted:aws_key] used"),
        ("aws_key", "ASIAIOSFODNN7EXAMPLE", "[redacted:aws_key]"),
        ("aws_key", "AKIAshort", "AKIAshort"),
        (
            "aws_key",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = [redacted:aws_key]",
        ),
    ],
)  # fmt: skip
def test_each_detector_masks_what_it_finds(name: str, text: str, expected: str) -> None:
    assert redacted({"m": text}, detector(name)) == {"m": expected}


def test_an_aws_secret_under_its_own_key_is_masked() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    record = redacted({"aws_secret_access_key": secret, "other": secret}, detector("aws_key"))
    assert record == {"aws_secret_access_key": mask_for("aws_key"), "other": secret}


def test_rules_apply_in_order_so_a_bearer_jwt_names_the_first_rule() -> None:
    text = "Bearer eyJhbGciOi.eyJzdWIiOiIx.c2ln"
    bearer_first = redacted({"m": text}, detector("bearer_token"), detector("jwt"))
    jwt_first = redacted({"m": text}, detector("jwt"), detector("bearer_token"))
    assert bearer_first == {"m": "Bearer [redacted:bearer_token]"}
    assert jwt_first == {"m": "Bearer [redacted:jwt]"}


# --- properties ---------------------------------------------------------------------------


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        candidate = body + check
        total = 0
        for position, char in enumerate(reversed(candidate)):
            digit = int(char) * (2 if position % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return candidate
    raise AssertionError("one check digit always completes a Luhn number")


@settings(max_examples=200)
@given(
    body=st.text("0123456789", min_size=12, max_size=18),
    separator=st.sampled_from(["", " ", "-"]),
    wrong=st.integers(1, 9),
)
def test_every_luhn_valid_number_is_masked_and_a_wrong_check_digit_is_not(
    body: str, separator: str, wrong: int
) -> None:
    number = _luhn_complete(body)
    spaced = separator.join(number[i : i + 4] for i in range(0, len(number), 4))
    assert redacted({"m": f"paid {spaced}."}, detector("credit_card")) == {
        "m": "paid [redacted:credit_card]."
    }
    broken = number[:-1] + str((int(number[-1]) + wrong) % 10)
    assert redacted({"m": f"paid {broken}."}, detector("credit_card")) == {"m": f"paid {broken}."}


ALL_RULES = [
    *(detector(name) for name in DETECTOR_PATTERNS),
    rule("sec", "pattern", pattern=r"secret-\d+"),
    rule("pw", "mask", field="password"),
    rule("dbg", "drop", field="debug.trace"),
]
_SAFE_TEXT = st.text(st.characters(blacklist_categories=["Cs", "Nd"], blacklist_characters="@bBKJ"))
_RECORDS = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | _SAFE_TEXT | st.binary(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_SAFE_TEXT, children),
    max_leaves=20,
).map(lambda value: {"value": value})


@settings(max_examples=300)
@given(record=_RECORDS)
def test_a_record_with_nothing_to_redact_comes_out_identical(record: dict[str, Any]) -> None:
    original = copy.deepcopy(record)
    assert redacted(record, *ALL_RULES) == original


_MIXED_TEXT = st.lists(
    st.sampled_from(
        ["a ", "4111 1111 1111 1111", "x@y.io", "Bearer t0k", "secret-7", "AKIAIOSFODNN7EXAMPLE"]
    )
    | st.text(max_size=5),
    max_size=6,
).map("".join)


SCANNING = [
    *(r for r in ALL_RULES if r.kind in (RedactionKind.DETECTOR, RedactionKind.PATTERN)),
    # Could match across the newline that joins two strings in the batch search.
    rule("span", "pattern", pattern=r"a\s+Bearer"),
]


@settings(max_examples=300)
@given(batch=st.lists(st.lists(_MIXED_TEXT, max_size=4), max_size=5))
def test_scanning_a_batch_at_once_masks_exactly_what_each_string_alone_would(
    batch: list[list[str]],
) -> None:
    records = [{"texts": list(texts), "n": n} for n, texts in enumerate(batch)]
    compile_redactor(SCANNING).apply_all(records)
    assert records == [
        {"texts": [_one_by_one(text, SCANNING) for text in texts], "n": n}
        for n, texts in enumerate(batch)
    ]


def _one_by_one(text: str, rules: list[RedactionRuleSpec]) -> str:
    data = text.encode()
    for spec in rules:
        pattern = (
            DETECTOR_PATTERNS[spec.detector] if spec.detector else (spec.pattern or "").encode()
        )
        data = re2.compile(pattern).sub(replacer(spec.detector, mask_for(spec.name).encode()), data)
    return data.decode()


_JSON_VALUE = (
    _MIXED_TEXT
    | st.sampled_from(
        [4111111111111111, 4111111111111112, 12, "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/Ab"]
    )
    | st.text(max_size=8)
)
_JSON_RECORD = st.dictionaries(
    st.sampled_from(["message", "user_email", "aws_secret_access_key", "n", "path"]),
    _JSON_VALUE
    | st.lists(_JSON_VALUE, max_size=3)
    | st.dictionaries(st.just("inner"), _JSON_VALUE),
    max_size=4,
)


@settings(max_examples=300)
@given(batch=st.lists(_JSON_RECORD, max_size=5), escaped=st.booleans())
def test_searching_the_body_first_changes_nothing_that_is_masked(
    batch: list[dict[str, Any]], escaped: bool
) -> None:
    """The receiver lets a JSON body with nothing to mask skip the records' walk;
    what comes out must be exactly what the walk alone gives, escapes, numbers,
    the AWS secret's own key and all."""
    source = b"\n".join(_encoded(record, escaped) for record in batch)
    for rules in (ALL_RULES, SCANNING):
        walked = copy.deepcopy(batch)
        compile_redactor(rules).apply_all(walked)
        searched = [orjson.loads(line) for line in source.split(b"\n")] if batch else []
        compile_redactor(rules).apply_all(searched, source=source)
        assert searched == walked


def _encoded(record: dict[str, Any], escaped: bool) -> bytes:
    """The record as an agent may write it: plain, or with escapes (``\\u0040`` is an
    ``@``, as some encoders write it) that hide a secret from a search of the body."""
    if not escaped:
        return orjson.dumps(record)
    return json.dumps(record).replace("@", "\\u0040").replace("Bearer", "B\\u0065arer").encode()
