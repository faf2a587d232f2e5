"""``/metrics`` of a worker pool: one scrape, whichever worker answers it, counts them all.

A Kubernetes scrape reaches one process behind the port, chosen by the
kernel; a worker answering only for itself would show a random share of the
pod. So with ``BARITO_WORKERS`` > 1 every worker writes its counters,
histograms and gauges to prometheus_client's multiprocess files (the
supervisor sets ``PROMETHEUS_MULTIPROC_DIR`` before it spawns them) and a
scrape merges every worker's files:

* counters and histograms are summed over every worker that ever ran, the
  dead included, so a replaced worker never makes a counter go down;
* a gauge is merged as its ``multiprocess_mode`` says (``livesum`` for
  "clients connected now", ``livemax`` for a lag) over the live workers: a
  dead worker's ``live*`` files are removed here, at the first scrape after it
  died, since uvicorn's supervisor has no hook to do it when it replaces one.

The ``barito_service`` info metric is per process (prometheus_client keeps no
multiprocess file for it) and is taken from the answering worker's registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from barito_common.workers import is_alive

__all__ = ["pool_metrics"]


class _InfoOf(Collector):
    """The info metrics of a registry, which multiprocess files do not carry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return (metric for metric in self._registry.collect() if metric.type == "info")


def _forget_dead_workers(directory: Path) -> None:
    # Files are named <kind>[_<mode>]_<pid>.db.
    pids = {int(name.stem.rsplit("_", 1)[1]) for name in directory.glob("*_*.db")}
    for pid in pids:
        if not is_alive(pid):
            mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]


def pool_metrics(directory: Path, own: CollectorRegistry) -> bytes:
    """Prometheus text of every worker writing to ``directory``; ``own`` gives the info metrics."""
    _forget_dead_workers(directory)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    registry.register(_InfoOf(own))
    return generate_latest(registry)
