"""A record a consumer gave up on, as it is written to the dead-record topic (pure).

The letter is the original record, byte for byte: its key and value are the
record's own, so replaying it is producing them to the original topic again.
Where it came from and why it failed travel in headers, which never change
the payload an operator may want to replay:

==========================  ==============================================
header                      value (UTF-8)
==========================  ==============================================
``barito.origin.topic``     the topic it was read from
``barito.origin.partition`` its partition
``barito.origin.offset``    its offset
``barito.consumer``         the consumer group that gave up on it
``barito.failed.stage``     ``decode`` (not a payload) or ``handle``
``barito.error``            the error, type and message (at most 2,000 chars)
``barito.failed_at``        when, ISO 8601 in UTC
==========================  ==============================================

Example::

    letter = DeadRecord.of(record, consumer="barito-market", stage="decode", error=err, at=now)
    await producer.send_and_wait(topics.dead_records, letter.value, key=letter.key,
                                 headers=letter.headers())
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from aiokafka.structs import ConsumerRecord

__all__ = ["DeadRecord", "Stage"]

Stage = Literal["decode", "handle"]

_ERROR_CHARS = 2_000

_TOPIC = "barito.origin.topic"
_PARTITION = "barito.origin.partition"
_OFFSET = "barito.origin.offset"
_CONSUMER = "barito.consumer"
_STAGE = "barito.failed.stage"
_ERROR = "barito.error"
_FAILED_AT = "barito.failed_at"


@dataclass(frozen=True)
class DeadRecord:
    """One dead letter: the original bytes and where and why it failed."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    consumer: str
    stage: Stage
    error: str
    failed_at: datetime

    @classmethod
    def of(
        cls,
        record: ConsumerRecord[bytes, bytes],
        *,
        consumer: str,
        stage: Stage,
        error: BaseException,
        at: datetime,
    ) -> DeadRecord:
        """The letter for ``record``, which ``consumer`` failed to ``stage`` with ``error``."""
        text = f"{type(error).__name__}: {error}"[:_ERROR_CHARS]
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            consumer=consumer,
            stage=stage,
            error=text,
            failed_at=at,
        )

    def headers(self) -> list[tuple[str, bytes]]:
        """The Kafka headers that carry the origin and the error."""
        fields = {
            _TOPIC: self.topic,
            _PARTITION: str(self.partition),
            _OFFSET: str(self.offset),
            _CONSUMER: self.consumer,
            _STAGE: self.stage,
            _ERROR: self.error,
            _FAILED_AT: self.failed_at.isoformat(),
        }
        return [(name, text.encode()) for name, text in fields.items()]

    @classmethod
    def read(
        cls, key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]
    ) -> DeadRecord:
        """A letter read back from the dead-record topic; ``KeyError`` if a header is missing.

        >>> from datetime import UTC
        >>> letter = DeadRecord("t", 0, 7, b"k", b"{", "g", "decode", "PayloadError: x",
        ...                     datetime(2026, 1, 1, tzinfo=UTC))
        >>> DeadRecord.read(b"k", b"{", letter.headers()) == letter
        True
        """
        fields = {name: raw.decode() for name, raw in headers}
        stage: Stage
        if fields[_STAGE] == "decode":
            stage = "decode"
        elif fields[_STAGE] == "handle":
            stage = "handle"
        else:
            raise ValueError(f"not a stage of a dead record: {fields[_STAGE]!r}")
        return cls(
            topic=fields[_TOPIC],
            partition=int(fields[_PARTITION]),
            offset=int(fields[_OFFSET]),
            key=key,
            value=value,
            consumer=fields[_CONSUMER],
            stage=stage,
            error=fields[_ERROR],
            failed_at=datetime.fromisoformat(fields[_FAILED_AT]),
        )
