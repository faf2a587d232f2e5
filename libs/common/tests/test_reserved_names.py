"""Reserved app slugs: the installation's own topic names, and which ones lose logs."""

from __future__ import annotations

import re

import pytest

from barito_common.kafka import Topics
from barito_common.reserved_names import RESERVED_APP_SLUGS, reserved_app_slug

PREFIXES = ["barito.", "p1234abcd.", ""]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_last_part_of_every_installation_topic_is_reserved(prefix: str) -> None:
    topics = Topics(prefix)
    own_topics = [
        topics.dead_letters,
        topics.apps,
        topics.usage,
        topics.provisioning_commands,
        topics.provisioning_events,
    ]
    for topic in own_topics:
        assert reserved_app_slug(topic.rsplit(".", 1)[-1]) is not None, topic
    assert reserved_app_slug("checkout") is None


@pytest.mark.parametrize("prefix", PREFIXES)
def test_exactly_the_slugs_whose_topic_the_flow_never_reads_lose_their_logs(prefix: str) -> None:
    topics = Topics(prefix)
    flow_reads = re.compile(topics.logs_pattern)
    for name, reserved in RESERVED_APP_SLUGS.items():
        assert reserved.loses_logs is (flow_reads.match(topics.logs(name)) is None), name
    assert "dead-letter" in RESERVED_APP_SLUGS["dlq"].explanation
