"""The index template: the settings and mappings daily log indices are created with."""

from __future__ import annotations

from typing import Any

import pytest

from barito_common.search.index_template import index_template_body, template_name


def body(**overrides: Any) -> Any:
    arguments: dict[str, Any] = {"index_prefix_pattern": "barito-shop-*", "shards": 3}
    arguments["replicas"] = 1
    arguments.update(overrides)
    return index_template_body(**arguments)


def test_template_has_the_shard_replica_refresh_field_limit_and_codec_settings() -> None:
    settings = body(total_fields_limit=2000)["settings"]

    assert settings == {
        "index.number_of_shards": 3,
        "index.number_of_replicas": 1,
        "index.refresh_interval": "1s",
        "index.mapping.total_fields.limit": 2000,
        # Both engines know this codec by this name; zstd is a plugin on OpenSearch.
        "index.codec": "best_compression",
    }


def test_template_does_not_ignore_malformed_values_so_conflicts_are_dead_lettered() -> None:
    template = body()

    assert "ignore_malformed" not in repr(template)


def test_template_matches_the_apps_indices() -> None:
    assert body()["index_patterns"] == ["barito-shop-*"]


def test_timestamp_is_a_date_message_is_text_and_the_app_is_a_keyword() -> None:
    properties = body()["mappings"]["properties"]

    assert properties["@timestamp"] == {"type": "date"}
    assert properties["message"] == {"type": "text"}
    assert properties["barito"] == {"properties": {"app": {"type": "keyword"}}}


def test_other_strings_are_keywords_cut_at_ignore_above() -> None:
    mappings = body(ignore_above=256)["mappings"]
    templates = {
        name: spec for entry in mappings["dynamic_templates"] for name, spec in entry.items()
    }

    assert templates["strings_as_keywords"] == {
        "match_mapping_type": "string",
        "mapping": {"type": "keyword", "ignore_above": 256},
    }
    # Log lines under fluentd's and Fluent Bit's usual names are searchable as text,
    # and listed first, since the first matching dynamic template wins.
    assert next(iter(mappings["dynamic_templates"][0])) == "log_lines_as_text"
    assert templates["log_lines_as_text"]["mapping"] == {"type": "text"}
    assert mappings["date_detection"] is False


def test_a_longer_prefix_gets_a_higher_priority_so_nested_prefixes_do_not_clash() -> None:
    shop = body(index_prefix_pattern="barito-shop-*")["priority"]
    shop_api = body(index_prefix_pattern="barito-shop-api-*")["priority"]

    assert shop_api > shop > 100


def test_template_name_is_derived_from_the_index_prefix() -> None:
    assert template_name("barito-shop") == "barito-shop-logs"
    assert template_name("barito-shop") != template_name("barito-shop-api")


@pytest.mark.parametrize(
    "overrides",
    [
        {"shards": 0},
        {"replicas": -1},
        {"total_fields_limit": 0},
        {"ignore_above": 0},
        {"index_prefix_pattern": ""},
    ],
)
def test_impossible_settings_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        body(**overrides)
