"""Request bodies as real agents send them, and the events they hold.

The bytes are those of ``shared/reference/agent-payloads.md``; the events are
what the receiver's body parsers make of them when the body arrives at
:data:`RECEIVED` (``NOW`` is that time, the time of an event with none of its own).
"""

from __future__ import annotations

from datetime import UTC, datetime

from barito_common.chunk_codec import Event

__all__ = [
    "FLUENTD_EVENTS",
    "FLUENT_BIT_MSGPACK",
    "FLUENT_BIT_MSGPACK_EVENTS",
    "NOW",
    "RECEIVED",
    "T1",
    "T2",
]

RECEIVED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
NOW = "2024-05-06T07:08:09.000Z"
T1 = "2023-11-14T22:13:20.500Z"  # Fluent Bit's first example event, t=1700000000.5
T2 = "2023-11-14T22:13:21.000Z"  # and its second, t=1700000001

# fluentd's two example records, which carry no time of their own.
FLUENTD_EVENTS = [Event(NOW, {"msg": "a", "n": 1}), Event(NOW, {"msg": "b", "n": 2})]
# Fluent Bit 2.1+ msgpack events: [[EventTime, {metadata}], {record}].
FLUENT_BIT_MSGPACK = bytes.fromhex(
    "92 92 d7 00 6553f100 1dcd6500 80 81 a3 6c6f67 a1 61"
    "92 92 d7 00 6553f101 00000000 80 81 a3 6c6f67 a1 62"
)
FLUENT_BIT_MSGPACK_EVENTS = [Event(T1, {"log": "a"}), Event(T2, {"log": "b"})]
