"""Capacity templates: how big an app group's infrastructure is (architecture §6).

The templates are data files, ``infra/templates/capacity/*.yaml``; the market
picks one for each app and the provisioner builds infrastructure from it.

Example::

    templates = load_templates(Path("infra/templates/capacity"))
    templates["medium"].kafka.partitions        # 6
    template_for_tps(templates, 4_000).name     # "medium": the smallest that fits

Exceptions::

    ValueError
    └── CapacityError   a template file is unreadable, or no template fits
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from barito_common.schemas import Placement

__all__ = [
    "DEFAULT_TEMPLATES_DIR",
    "CapacityError",
    "CapacityTemplate",
    "FlowCapacity",
    "KafkaCapacity",
    "KibanaCapacity",
    "SearchCapacity",
    "load_templates",
    "template_for_tps",
]


# infra/templates/capacity of the checkout (or image, which keeps its layout)
# this package runs from.
DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parents[4] / "infra" / "templates" / "capacity"


class CapacityError(ValueError):
    """A template file is not a valid template, or no template fits a request."""


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KafkaCapacity(_Part):
    brokers: int = Field(ge=1, description="Kafka brokers.")
    controllers: int | Literal["combined"] = Field(
        description='KRaft controllers, or "combined": the brokers act as controllers too.'
    )
    partitions: int = Field(ge=1, description="Partitions of each app's log topic.")
    replication: int = Field(ge=1, description="Replication factor of each app's log topic.")
    min_insync_replicas: int = Field(ge=1, description="min.insync.replicas of app topics.")


class SearchCapacity(_Part):
    nodes: int = Field(ge=1, description="Search engine nodes.")
    heap: Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]*(MiB|GiB)$")] = Field(
        description='JVM heap of each node, e.g. "4GiB".'
    )
    primary_shards: int = Field(ge=1, description="Primary shards of each daily index.")
    replicas: int = Field(ge=0, description="Replicas of each primary shard.")


class FlowCapacity(_Part):
    replicas: int = Field(ge=1, description="Flow (indexer) processes.")


class KibanaCapacity(_Part):
    replicas: int = Field(ge=1, description="Kibana instances.")


class CapacityTemplate(_Part):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,32}$")] = Field(
        description="Template name, also its file name without .yaml."
    )
    events_per_second: int = Field(gt=0, description="Events per second the template sustains.")
    kafka: KafkaCapacity
    search: SearchCapacity
    flow: FlowCapacity
    kibana: KibanaCapacity
    retention_days: int = Field(ge=1, le=3650, description="Default days logs are kept.")
    storage_quota: Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]*(MiB|GiB|TiB)$")] = Field(
        description="Bytes of indices one app of this template may add to its group's "
        'storage quota, e.g. "200GiB": the rate kept for the retention at ~300 B per '
        "event on disk (docs/deploy.md §8).",
    )
    placement: Placement = Field(
        Placement.SHARED,
        description="Where groups of this template live: `shared` (the installation's own "
        "cluster) or `dedicated` (a cluster of their own, made by the installation's "
        "dedicated driver).",
    )

    @property
    def storage_quota_bytes(self) -> int:
        """:attr:`storage_quota` in bytes.

        >>> _units("200GiB")
        214748364800
        """
        return _units(self.storage_quota)


_UNIT_BYTES = {"MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}


def _units(size: str) -> int:
    return int(size[:-3]) * _UNIT_BYTES[size[-3:]]


def load_templates(directory: Path | str) -> dict[str, CapacityTemplate]:
    """Every ``*.yaml`` template in ``directory``, by name, smallest first."""
    templates: list[CapacityTemplate] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            template = CapacityTemplate.model_validate(yaml.safe_load(path.read_text()))
        except (OSError, yaml.YAMLError, ValidationError) as err:
            raise CapacityError(f"{path}: not a valid capacity template: {err}") from err
        if template.name != path.stem:
            raise CapacityError(f"{path}: its name is {template.name!r}, not {path.stem!r}")
        templates.append(template)
    if not templates:
        raise CapacityError(f"no capacity templates (*.yaml) in {directory}")
    templates.sort(key=lambda t: t.events_per_second)
    return {template.name: template for template in templates}


def template_for_tps(templates: Mapping[str, CapacityTemplate], tps: int) -> CapacityTemplate:
    """The smallest template that sustains ``tps`` events per second."""
    fitting = [t for t in templates.values() if t.events_per_second >= tps]
    if not fitting:
        largest = max(templates.values(), key=lambda t: t.events_per_second)
        raise CapacityError(
            f"{tps} events/s is more than the largest template ({largest.name}: "
            f"{largest.events_per_second} events/s)"
        )
    return min(fitting, key=lambda t: t.events_per_second)
