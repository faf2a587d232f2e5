"""How far a running job got, kept in its row's ``task_id`` column.

A job deletes on each engine holding the app's logs (a dedicated group's
cluster, then the installation's) in one of two ways: an engine task
(``_delete_by_query``, followed by its id) or, where the engine lacks the
reindex module, batches the market deletes itself. The row keeps, for each
engine in that order, the task id, ``batch`` (batches still to run) or
``done``, plus the documents already counted for good (whole indices dropped,
batches deleted). A restarted market reads it back and follows the same
tasks instead of starting others; ``deleted`` is that count plus the tasks'.

    >>> Progress.decode(Progress(12, ["node:7", "batch"]).encode())
    Progress(counted=12, parts=['node:7', 'batch'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BATCH", "DONE", "Progress"]

BATCH = "batch"
DONE = "done"


@dataclass(slots=True)
class Progress:
    counted: int = 0
    """Documents deleted and counted for good outside the engines' tasks."""
    parts: list[str] = field(default_factory=list)
    """Per engine: an engine task id, :data:`BATCH` or :data:`DONE`."""

    def encode(self) -> str:
        return f"{self.counted}|{';'.join(self.parts)}"

    @classmethod
    def decode(cls, raw: str) -> Progress:
        counted, _, parts = raw.partition("|")
        return cls(int(counted), parts.split(";") if parts else [])
