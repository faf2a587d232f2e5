"""The capacity templates shipped in infra/templates/capacity, and picking one."""

from __future__ import annotations

from pathlib import Path

import pytest

from barito_common.capacity import CapacityError, load_templates, template_for_tps

TEMPLATES = Path(__file__).resolve().parents[3] / "infra" / "templates" / "capacity"


def test_the_shipped_templates_load_smallest_first_with_the_documented_sizes() -> None:
    templates = load_templates(TEMPLATES)
    assert list(templates) == ["small", "medium", "large"]
    small, medium, large = templates.values()
    assert (small.events_per_second, small.kafka.controllers, small.retention_days) == (
        1000,
        "combined",
        7,
    )
    assert (medium.kafka.partitions, medium.kafka.replication) == (6, 3)
    assert (medium.kafka.min_insync_replicas, medium.search.heap) == (2, "4GiB")
    assert (large.search.nodes, large.search.primary_shards, large.kibana.replicas) == (6, 6, 2)


@pytest.mark.parametrize(
    ("tps", "expected"),
    [(1, "small"), (1000, "small"), (1001, "medium"), (10_000, "medium"), (50_000, "large")],
)
def test_a_custom_rate_gets_the_smallest_template_that_sustains_it(tps: int, expected: str) -> None:
    assert template_for_tps(load_templates(TEMPLATES), tps).name == expected


def test_a_rate_beyond_the_largest_template_is_refused_with_its_limit() -> None:
    with pytest.raises(CapacityError, match="50000 events/s"):
        template_for_tps(load_templates(TEMPLATES), 50_001)


def test_a_template_whose_name_differs_from_its_file_is_refused(tmp_path: Path) -> None:
    text = (TEMPLATES / "small.yaml").read_text().replace("name: small", "name: tiny")
    (tmp_path / "small.yaml").write_text(text)
    with pytest.raises(CapacityError, match="'tiny', not 'small'"):
        load_templates(tmp_path)


def test_a_template_with_a_missing_section_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "small.yaml").write_text("name: small\nevents_per_second: 5\n")
    with pytest.raises(CapacityError, match=r"small\.yaml"):
        load_templates(tmp_path)
