"""What a worker process knows of the pool it belongs to (``BARITO_WORKERS`` > 1).

:func:`barito_common.serving.serve_workers` starts the supervisor, which
spawns the workers; before it does, it writes a :class:`WorkerPool` into the
environment the workers inherit. A worker reads it back with
:func:`current_pool`: ``None`` means a single process (one worker, or an app
built in a test), which serves exactly as it always did.

The pool's private directory holds what the workers share: prometheus_client's
multiprocess files (``metrics/``, :mod:`barito_common.worker_metrics`) and
each worker's readiness socket (``ready/``, :mod:`barito_common.worker_readiness`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["POOL_ENV", "WorkerPool", "current_pool", "is_alive"]

# Not BARITO_-prefixed: it is the supervisor's message to its workers, not a setting.
POOL_ENV = "_BARITO_WORKER_POOL"


@dataclass(frozen=True)
class WorkerPool:
    """The pool a worker belongs to: how many workers, where they meet, what they serve."""

    workers: int
    directory: str
    factory: str
    """``module:function`` building the service's app from the environment's settings."""
    service: str
    log_level: str

    @property
    def metrics_dir(self) -> Path:
        return Path(self.directory) / "metrics"

    @property
    def ready_dir(self) -> Path:
        return Path(self.directory) / "ready"

    def to_env(self) -> str:
        return json.dumps(asdict(self))


def current_pool() -> WorkerPool | None:
    """The pool this process is a worker of, or None in a single process."""
    spec = os.environ.get(POOL_ENV)
    return WorkerPool(**json.loads(spec)) if spec else None


def is_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a worker's files outlive it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
