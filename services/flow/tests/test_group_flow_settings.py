"""A dedicated group's own flow: its settings, and which apps it serves (no I/O)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from barito_flow.app_scope import foreign_group, served_apps
from barito_flow.settings import FlowSettings
from barito_testing.profiles import app_profile


def test_the_drivers_env_names_make_a_group_flow_reading_its_groups_kafka(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BARITO_KAFKA__BOOTSTRAP_SERVERS", "installation:9092")
    monkeypatch.setenv("BARITO_KAFKA__TOPIC_PREFIX", "acme.")
    monkeypatch.setenv("BARITO_LOGS_BOOTSTRAP_SERVERS", "group-kafka-0:9092,group-kafka-1:9092")
    monkeypatch.setenv("BARITO_APP_GROUP_ID", "g-42")
    monkeypatch.setenv("BARITO_GROUP_ID", "barito-flow")

    settings = FlowSettings()

    assert settings.app_group_id == "g-42"
    assert settings.logs_kafka.bootstrap_servers == "group-kafka-0:9092,group-kafka-1:9092"
    # Only the address changes: the topic names are the installation's.
    assert settings.logs_kafka.topic_prefix == "acme."
    assert settings.kafka.bootstrap_servers == "installation:9092"
    assert settings.group_id == "barito-flow"


def test_the_installations_flow_reads_the_log_topics_from_its_own_kafka() -> None:
    settings = FlowSettings()
    assert settings.logs_bootstrap_servers is None and settings.app_group_id is None
    assert settings.logs_kafka is settings.kafka


def test_a_group_id_without_the_groups_kafka_is_refused() -> None:
    # It would join the installation's flows on every group's topics.
    with pytest.raises(ValidationError, match="BARITO_LOGS_BOOTSTRAP_SERVERS"):
        FlowSettings(app_group_id="g-42")


@pytest.mark.parametrize("field", ["logs_bootstrap_servers", "app_group_id"])
def test_an_empty_value_is_refused_rather_than_read_as_unset(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        FlowSettings(**{"logs_bootstrap_servers": "k:9092", field: ""})


def test_the_installations_flow_serves_every_app_and_a_groups_flow_its_own() -> None:
    apps = [app_profile("shop", "g-1"), app_profile("shop-eu", "g-2"), app_profile("pay", "g-1")]

    assert served_apps(apps, None) == apps
    assert [a.slug for a in served_apps(apps, "g-1")] == ["shop", "pay"]
    assert foreign_group(apps[1], "g-1") == "g-2"
    assert foreign_group(apps[1], None) is None
    # A topic with no profile is its Kafka's, which only the provisioner fills.
    assert foreign_group(None, "g-1") is None
