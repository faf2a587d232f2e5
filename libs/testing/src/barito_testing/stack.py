"""The private local stack as tests and benchmarks see it: its engines' addresses.

``bring_up`` starts it through the same code as ``make up``
(``barito_cli.stack``), reusing engines that already run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from barito_cli.stack.config import StackConfig, load_config
from barito_cli.stack.engines import engine_for
from barito_cli.stack.manager import stack_up
from barito_common.capacity import CapacityTemplate, load_templates

__all__ = ["REPO", "Stack", "bring_up", "shipped_templates"]

# An editable install: this file sits in the checkout whose stack it runs.
REPO = Path(__file__).resolve().parents[4]


@dataclass(frozen=True)
class Stack:
    config: StackConfig
    kafka_bootstrap: str
    elasticsearch_url: str
    opensearch_url: str
    postgres_url: str

    @property
    def search_urls(self) -> dict[str, str]:
        return {"elasticsearch": self.elasticsearch_url, "opensearch": self.opensearch_url}


def bring_up(echo: Callable[[str], None] = lambda line: print(f"[stack] {line}")) -> Stack:
    config = load_config(REPO)
    stack_up(config, echo=echo)
    return Stack(
        config=config,
        kafka_bootstrap=engine_for("kafka", config).url,
        elasticsearch_url=engine_for("elasticsearch", config).url,
        opensearch_url=engine_for("opensearch", config).url,
        postgres_url=engine_for("postgres", config).url,
    )


def shipped_templates() -> dict[str, CapacityTemplate]:
    """The capacity templates this checkout ships (``infra/templates/capacity``)."""
    return load_templates(REPO / "infra/templates/capacity")
