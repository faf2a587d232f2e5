"""What handling one consumed record did."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Outcome"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """``applied`` or why not (``reason``), and the app it concerned, if any."""

    applied: bool
    reason: str = ""
    app: str = ""

    @classmethod
    def done(cls, app: str = "") -> Outcome:
        return cls(True, app=app)

    @classmethod
    def skipped(cls, reason: str, app: str = "") -> Outcome:
        return cls(False, reason, app)
