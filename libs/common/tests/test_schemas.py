"""Unit tests of the Kafka payload schemas: pure functions, no I/O."""

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest
from pydantic import BaseModel, ValidationError

from barito_common.schemas import (
    AppProfile,
    AppStatus,
    Component,
    ComponentKind,
    ComponentState,
    DeadLetter,
    InfrastructureState,
    PayloadError,
    ProvisionCommand,
    ProvisionCommandKind,
    ProvisionEvent,
    UsageReport,
    from_bytes,
    hash_secret,
    to_bytes,
)

NOW = datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)


def app_profile(**overrides: Any) -> AppProfile:
    fields: dict[str, Any] = {
        "app_id": "app-1",
        "slug": "checkout-api",
        "name": "Checkout API",
        "group_id": "group-1",
        "group_slug": "payments",
        "status": AppStatus.ACTIVE,
        "secret_hashes": [hash_secret("s3cret-token")],
        "tps": 100,
        "topic": "barito.logs.checkout-api",
        "index_prefix": "barito",
        "retention_days": 14,
        "capacity": "small",
        "updated_at": NOW,
    } | overrides
    return AppProfile(**fields)


def samples() -> list[BaseModel]:
    return [
        app_profile(),
        ProvisionCommand(
            command_id=uuid4(),
            kind=ProvisionCommandKind.CREATE,
            infrastructure_id="infra-1",
            group_id="group-1",
            capacity="medium",
            template={"kafka": {"brokers": 3, "partitions": 6}, "search": {"nodes": 2}},
            issued_at=NOW,
        ),
        ProvisionEvent(
            command_id=uuid4(),
            infrastructure_id="infra-1",
            state=InfrastructureState.BOOTSTRAPPING,
            components=[
                Component(
                    name="kafka-0",
                    kind=ComponentKind.KAFKA,
                    address="10.0.0.5:9092",
                    state=ComponentState.RUNNING,
                ),
                Component(
                    name="search-0",
                    kind=ComponentKind.SEARCH,
                    state=ComponentState.ERROR,
                    message="heap too small",
                ),
            ],
            message="waiting for search-0",
            at=NOW,
        ),
        UsageReport(
            app_id="app-1",
            window_start=NOW,
            window_end=NOW + timedelta(minutes=1),
            events=1200,
            bytes=345_678,
            rejected={"rate_limited": 3, "malformed": 1},
            dead_lettered=2,
            source="receiver",
        ),
        DeadLetter(
            app_id="app-1",
            app_slug="checkout-api",
            topic="barito.logs.checkout-api",
            partition=2,
            offset=12345,
            index_in_chunk=7,
            event={"message": "héllo 日本", "nested": {"list": [1, 2.5, None, True]}},
            reason="mapper_parsing_exception: failed to parse field [status]",
            failed_at=NOW,
        ),
    ]


@pytest.mark.parametrize("payload", samples(), ids=lambda payload: type(payload).__name__)
def test_payload_round_trips_through_kafka_bytes(payload: BaseModel) -> None:
    data = to_bytes(payload)

    assert from_bytes(type(payload), data) == payload
    assert json.loads(data)["schema_version"] == 1


@pytest.mark.parametrize("payload", samples(), ids=lambda payload: type(payload).__name__)
def test_unknown_fields_from_a_newer_producer_are_ignored(payload: BaseModel) -> None:
    document = json.loads(to_bytes(payload))
    document["field_added_in_a_later_release"] = {"anything": [1, 2]}
    if isinstance(payload, ProvisionEvent):
        document["components"][0]["uptime_seconds"] = 42

    assert from_bytes(type(payload), json.dumps(document).encode()) == payload


@pytest.mark.parametrize("payload", samples(), ids=lambda payload: type(payload).__name__)
def test_a_schema_version_this_reader_does_not_know_is_refused(payload: BaseModel) -> None:
    document = json.loads(to_bytes(payload)) | {"schema_version": 2}

    with pytest.raises(PayloadError, match=r"schema_version: .*schema_version 2 is not understood"):
        from_bytes(type(payload), json.dumps(document).encode())


@pytest.mark.parametrize("slug", ["a", "a" * 63, "checkout-api-2", "0-0"])
def test_lowercase_slugs_up_to_63_characters_are_accepted(slug: str) -> None:
    assert app_profile(slug=slug).slug == slug


@pytest.mark.parametrize(
    "slug", ["", "a" * 64, "Checkout", "check out", "check_out", "checkout.api", "ünï"]
)
def test_invalid_slug_is_rejected(slug: str) -> None:
    with pytest.raises(ValidationError, match="slug"):
        app_profile(slug=slug)


@pytest.mark.parametrize(
    "secret_hash",
    [
        "A" * 64,  # uppercase hex: hashes are compared as strings, so one spelling only
        "a" * 63,
        "a" * 65,
        "g" * 64,
        "s3cret-token",  # a plain secret must never travel in a profile
    ],
)
def test_invalid_secret_hash_is_rejected(secret_hash: str) -> None:
    with pytest.raises(ValidationError, match="secret_hashes"):
        app_profile(secret_hashes=[hash_secret("ok"), secret_hash])


def test_hash_secret_is_lowercase_hex_sha256() -> None:
    assert hash_secret("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"tps": 0},
        {"retention_days": 0},
        {"retention_days": 3651},
        {"status": "paused"},
        {"capacity": ""},
        {"updated_at": datetime(2024, 1, 2)},  # naive: which zone would it be?
    ],
    ids=["zero-tps", "zero-retention", "retention-over-10-years", "status", "capacity", "naive"],
)
def test_out_of_range_app_profile_fields_are_rejected(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=next(iter(overrides))):
        app_profile(**overrides)


def test_capacity_names_beyond_todays_templates_are_accepted() -> None:
    assert app_profile(capacity="xlarge").capacity == "xlarge"


def test_datetimes_in_other_zones_are_normalised_to_utc() -> None:
    jakarta = timezone(timedelta(hours=7))

    profile = app_profile(updated_at=datetime(2024, 1, 2, 10, 4, 5, 123000, tzinfo=jakarta))

    assert profile.updated_at == NOW
    assert profile.updated_at.utcoffset() == timedelta(0)


def test_usage_window_that_ends_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValidationError, match="window_end is before window_start"):
        UsageReport(
            app_id="app-1",
            window_start=NOW,
            window_end=NOW - timedelta(seconds=1),
            events=0,
            bytes=0,
            source="flow",
        )


@pytest.mark.parametrize(
    "overrides",
    [{"events": -1}, {"bytes": -1}, {"dead_lettered": -1}, {"rejected": {"x": -1}}],
)
def test_negative_usage_counts_are_rejected(overrides: dict[str, Any]) -> None:
    fields: dict[str, Any] = {
        "app_id": "app-1",
        "window_start": NOW,
        "window_end": NOW,
        "events": 0,
        "bytes": 0,
        "source": "flow",
    } | overrides
    with pytest.raises(ValidationError):
        UsageReport(**fields)


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xfe\x00garbage", b"not json", b"[1, 2]", b"null", b'{"app_id": "app-1"}'],
    ids=["empty", "not-utf8", "not-json", "array", "null", "missing-fields"],
)
def test_garbage_bytes_raise_payload_error_naming_the_payload(data: bytes) -> None:
    with pytest.raises(PayloadError, match=r"^invalid AppProfile payload: ") as info:
        from_bytes(AppProfile, data)

    assert isinstance(info.value, ValueError)


def test_payload_error_names_each_bad_field() -> None:
    with pytest.raises(PayloadError) as info:
        from_bytes(AppProfile, b'{"app_id": "app-1"}')

    for field in ("slug", "group_id", "tps", "updated_at"):
        assert f"{field}: Field required" in str(info.value)


def test_payload_error_does_not_echo_the_log_data_it_was_given() -> None:
    document = json.loads(to_bytes(samples()[-1])) | {"partition": "private-log-line"}
    document["event"] = {"message": "private-log-line"}

    with pytest.raises(PayloadError, match="partition") as info:
        from_bytes(DeadLetter, json.dumps(document).encode())

    assert "private-log-line" not in str(info.value)
