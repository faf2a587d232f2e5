"""The bounds of one syslog connection's work: frame size, batches, back-pressure."""

from __future__ import annotations

from dataclasses import dataclass

from barito_receiver.settings import ReceiverSettings

__all__ = ["SyslogLimits"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class SyslogLimits:
    max_frame_bytes: int
    """Largest frame (one message); a larger one is skipped. The receiver's ``max_event_bytes``."""
    batch_events: int = 1000
    """Most messages in one ``accept_events`` call."""
    batch_bytes: int = 4 * MIB
    """Most frame bytes in one call."""
    linger_s: float = 0.05
    """How long a batch waits for more messages of its app before it is sent. Short:
    a steady sender fills batches by count, a quiet one should not wait."""
    max_backpressure_s: float = 600.0
    """How long a batch may be held back (over the rate, Kafka not acking) before the
    connection is closed. Long, because closing loses the batch in hand: the sender
    counted it as delivered."""
    read_bytes: int = 64 * 1024
    """Bytes asked of the socket per read."""

    @classmethod
    def from_settings(cls, settings: ReceiverSettings) -> SyslogLimits:
        return cls(max_frame_bytes=settings.max_event_bytes)
