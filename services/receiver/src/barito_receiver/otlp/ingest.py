"""One OTLP export request, from body to Kafka acknowledgement.

The body is decompressed and decoded whole before anything is written, so a
malformed request (400) or one over a limit (413) leaves nothing behind. Then
each log record becomes an event (:mod:`barito_receiver.otlp.events`); a record
that cannot be stored as sent (colliding fields, or over the size of one
event) is refused on its own and named in the partial success, while the
others go through :meth:`Ingestor.accept_events` like every protocol's events:
charged to the app's rate (429), written to its topic, answered once Kafka
acknowledged them (503 if it did not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import msgpack

from barito_common.chunk_codec import Event, EventTooLarge, encode_chunks
from barito_common.errors import ApiError
from barito_common.schemas import AppProfile
from barito_receiver.decode_errors import BodyError
from barito_receiver.decompression import decompress
from barito_receiver.idempotency import request_id
from barito_receiver.ingest import Ingestor
from barito_receiver.otlp.decode import decode_request
from barito_receiver.otlp.events import LogEvents, log_events

__all__ = ["ExportOutcome", "ingest_export"]

# More than the bytes a chunk adds around its events (version, array headers).
_CHUNK_FRAMING = 16
# How many refused records the partial success names; the count covers them all.
_REASONS_SHOWN = 3


@dataclass(frozen=True)
class ExportOutcome:
    """What became of an export request's log records."""

    accepted: int
    refused: list[str]
    """Why each refused record was refused, naming it by its place in the request."""

    @property
    def message(self) -> str:
        """The partial success's ``error_message``: empty when nothing was refused."""
        if not self.refused:
            return ""
        total = self.accepted + len(self.refused)
        shown = "; ".join(self.refused[:_REASONS_SHOWN])
        more = len(self.refused) - _REASONS_SHOWN
        return f"{len(self.refused)} of {total} log records refused: {shown}" + (
            f"; and {more} more" if more > 0 else ""
        )


async def ingest_export(
    ingestor: Ingestor,
    app: AppProfile,
    body: bytes,
    *,
    content_type: str | None,
    content_encoding: str | None,
    idempotency_key: str | None,
) -> ExportOutcome:
    """Write the log records of ``body`` to ``app``'s topic; raise ``ApiError`` on failure."""
    settings = ingestor.settings
    try:
        raw = decompress(
            body,
            content_encoding,
            max_bytes=settings.max_request_bytes,
            max_ratio=settings.max_compression_ratio,
        )
        export = decode_request(raw, content_type, max_records=settings.max_events_per_request)
    except BodyError as err:
        reason = "too_large" if err.status == 413 else "malformed"
        ingestor.usage.rejected(app.app_id, app.slug, 1, reason)
        raise ApiError(err.status, str(err), code=err.code) from err

    converted = log_events(export, received_at=datetime.now(UTC))
    if converted.refused:
        ingestor.usage.rejected(app.app_id, app.slug, len(converted.refused), "malformed")
    events, oversized = _split_oversized(converted, settings.max_event_bytes)
    if oversized:
        ingestor.usage.rejected(app.app_id, app.slug, len(oversized), "too_large")
    request = request_id(idempotency_key, raw) if idempotency_key is not None else None
    accepted = (
        await ingestor.accept_events(app, events, raw_bytes=len(raw), request=request)
        if events
        else 0
    )
    return ExportOutcome(accepted, converted.refused + oversized)


def _split_oversized(converted: LogEvents, max_bytes: int) -> tuple[list[Event], list[str]]:
    """The events that fit in a chunk alone, and a reason for each that does not."""
    events = converted.events
    # One C-level pack of the whole batch settles the common case: if all the
    # events together fit, with room for the chunk's framing, none is over.
    # Only a batch past one event's limit is measured event by event, by the
    # chunk codec's own rule.
    if len(msgpack.packb(events)) + _CHUNK_FRAMING <= max_bytes:
        return events, []
    fitting: list[Event] = []
    reasons: list[str] = []
    for event, place in zip(events, converted.places, strict=True):
        try:
            encode_chunks([event], max_bytes=max_bytes)
        except EventTooLarge as err:
            reasons.append(
                f"{place} is {err.size} bytes as an event, over the limit of {max_bytes} bytes"
            )
        else:
            fitting.append(event)
    return fitting, reasons
