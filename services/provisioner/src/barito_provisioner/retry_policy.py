"""How often and how patiently a failed step is tried again (pure)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries of a step, waiting ``base_s``, then twice that, ... up to ``cap_s``.

    >>> RetryPolicy(attempts=4, base_s=1, cap_s=3).delays()
    [1, 2, 3]
    """

    attempts: int = 5
    base_s: float = 1.0
    cap_s: float = 30.0

    def delays(self) -> list[float]:
        """The waits between consecutive attempts (one fewer than the attempts)."""
        return [min(self.base_s * 2**n, self.cap_s) for n in range(self.attempts - 1)]
