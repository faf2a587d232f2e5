"""One syslog connection: frames to messages to batches to Kafka, with back-pressure.

TCP syslog has no acknowledgements: a sender counts a message as delivered
once its kernel took it. So the only honest way to say "not now" is to stop
reading. This connection never issues the next read while a batch is not
acknowledged by Kafka; its socket buffers fill, the sender's writes block,
and the sender queues (rsyslog's action queues, in memory or on disk) until
Kafka acknowledges again. Over the rate (429) or with Kafka not acking (503)
the same batch is retried after the Retry-After the ingestor gives.

Consecutive messages of one app are batched into one ``accept_events``
call, bounded by count, bytes and a short linger, since a call per message
costs a Kafka round trip.

What is refused is never silently dropped: a frame that is no syslog, over
the size limit, without a valid secret, or for an inactive app is skipped
with a logged reason (once per reason and app per connection, then counted
into a summary at close) and counted in ``barito_events_dropped_total``.
Skipping, not closing: rsyslog resends what a close interrupted, and would
be refused again, forever.

The one loss TCP syslog cannot avoid: when Kafka stays away longer than
``max_backpressure_s``, or the receiver stops before Kafka acknowledged, the
connection closes and the batch in hand is lost (the sender believes it
delivered it). That is logged as an error with the number of messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from barito_common.app_registry import AppRegistry
from barito_common.chunk_codec import Event
from barito_common.errors import ApiError
from barito_common.schemas import AppProfile
from barito_receiver.ingest import Ingestor
from barito_receiver.syslog.app_secret import Refusal, app_for_secret
from barito_receiver.syslog.decode import decode_frame
from barito_receiver.syslog.framing import Frame, Framer, Skipped
from barito_receiver.syslog.limits import SyslogLimits
from barito_receiver.syslog.message import MalformedSyslog

__all__ = ["BackpressureTimeout", "SyslogConnection"]

log = logging.getLogger(__name__)

# The app label of refusals no app can be named for (no or an unknown
# secret, a frame that is no syslog): no app's counters grow by them.
_NO_APP = ""
# The ingestor's refusals of the events themselves (too large, not encodable):
# retrying cannot help, splitting the batch saves the others.
_REFUSED = (400, 413)


class BackpressureTimeout(Exception):
    """Kafka (or the rate) held a batch back longer than the limit."""


@dataclass
class _Batch:
    app: AppProfile
    started: float
    events: list[Event] = field(default_factory=list)
    raw_bytes: int = 0


class SyslogConnection:
    """Serves one accepted connection until EOF, an error, or :meth:`stop_reading`."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        registry: AppRegistry,
        ingestor: Ingestor,
        limits: SyslogLimits,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._registry = registry
        self._ingestor = ingestor
        self._limits = limits
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self._framer = Framer(limits.max_frame_bytes)
        self._batch: _Batch | None = None
        self._reading: asyncio.Future[bytes] | None = None
        self._stopping = False
        self._refused: dict[tuple[str, str], int] = {}

    def stop_reading(self) -> None:
        """Read nothing more; what was read is still sent before the connection closes."""
        self._stopping = True
        if self._reading is not None and not self._reading.done():
            self._reading.cancel()

    async def serve(self) -> None:
        try:
            await self._serve()
        except BackpressureTimeout as err:
            self._lost(str(err))
        except asyncio.CancelledError:
            self._lost("the receiver stopped before Kafka acknowledged them")
            raise
        except OSError as err:  # a reset, or a TLS error mid-stream
            self._lost(f"the connection failed: {err!r}")
        finally:
            self._summarise()
            self._writer.close()

    async def _serve(self) -> None:
        while True:
            data = await self._read()
            if data is None:  # the linger ran out: send what was gathered
                await self._flush()
                continue
            if data:
                items = self._framer.feed(data)
            elif self._stopping:
                items = []
                if self._framer.pending:
                    # Cut by the stop, not ended by the sender: not stored truncated.
                    self._refuse(Refusal("lost", "The receiver stopped while a frame arrived."))
            else:
                items = self._framer.finish()
            for item in items:
                await self._take(item)
            if not data or self._stopping:
                break
        await self._flush()

    async def _read(self) -> bytes | None:
        """The next bytes (b"" at EOF or when stopping), or None when the batch is due first."""
        if self._reading is None:
            if self._stopping:
                return b""
            # One read at a time, issued only here. While a batch waits for
            # Kafka, at most the read issued before it completes; the next one
            # waits for the acknowledgement. That is the back-pressure.
            self._reading = asyncio.ensure_future(self._reader.read(self._limits.read_bytes))
        timeout = None
        if self._batch is not None:
            timeout = max(0.0, self._batch.started + self._limits.linger_s - time.monotonic())
        done, _ = await asyncio.wait({self._reading}, timeout=timeout)
        if not done:
            return None
        reading, self._reading = self._reading, None
        if reading.cancelled():
            return b""
        return reading.result()

    async def _take(self, item: Frame | Skipped) -> None:
        if isinstance(item, Skipped):
            self._refuse(Refusal(item.label, f"A frame was skipped: {item.reason}."))
            return
        try:
            secret, message = decode_frame(item.data, received_at=datetime.now(UTC))
        except MalformedSyslog as err:
            self._refuse(Refusal("malformed", f"Not a syslog message: {err}."))
            return
        app = await self._app_for(secret)
        if isinstance(app, Refusal):
            self._refuse(app)
            return
        batch = self._batch
        if batch is not None and batch.app.app_id != app.app_id:
            await self._flush()
            batch = None
        if batch is None:
            batch = self._batch = _Batch(app, time.monotonic())
        batch.app = app  # the latest profile (its rate, its cluster)
        batch.events.append(Event(message.time, message.record()))
        batch.raw_bytes += len(item.data)
        limits = self._limits
        if len(batch.events) >= limits.batch_events or batch.raw_bytes >= limits.batch_bytes:
            await self._flush()

    async def _app_for(self, secret: str | None) -> AppProfile | Refusal:
        if not self._registry.loaded:
            # Before the registry is loaded no secret can be told from an
            # unknown one: wait, not reading, as for Kafka.
            try:
                await self._registry.wait_loaded(self._limits.max_backpressure_s)
            except TimeoutError as err:
                raise BackpressureTimeout("the app registry did not load in time") from err
        return app_for_secret(self._registry, secret)

    async def _flush(self) -> None:
        batch, self._batch = self._batch, None
        if batch is None:
            return
        try:
            await self._send(batch)
        except BaseException:
            self._batch = batch  # still in hand: counted as lost by serve()
            raise

    async def _send(self, batch: _Batch, *, alone: bool = False) -> None:
        """Until Kafka acknowledged the batch; a refused batch is split (an event ``alone``
        raises the refusal)."""
        give_up_at = time.monotonic() + self._limits.max_backpressure_s
        waited = False
        while True:
            try:
                await self._ingestor.accept_events(
                    batch.app, batch.events, raw_bytes=batch.raw_bytes
                )
            except ApiError as err:
                if err.status in _REFUSED:
                    if alone:
                        raise
                    await self._send_one_by_one(batch)
                    return
                # 429 or 503: wait, and hold the sender back meanwhile.
                delay = _retry_after(err)
                if time.monotonic() + delay > give_up_at:
                    raise BackpressureTimeout(
                        f"Kafka or the rate held them back over "
                        f"{self._limits.max_backpressure_s:g}s ({err.message})"
                    ) from err
                if not waited:
                    waited = True
                    log.warning(
                        "Syslog messages held back; not reading from the sender until they "
                        "are accepted.",
                        extra={"ctx": self._ctx(batch.app.slug, err.message, len(batch.events))},
                    )
                await asyncio.sleep(delay)
            else:
                if waited:
                    log.info(
                        "Syslog messages held back were accepted; reading again.",
                        extra={"ctx": self._ctx(batch.app.slug, None, len(batch.events))},
                    )
                return

    async def _send_one_by_one(self, batch: _Batch) -> None:
        """After a 413 (or 400) for the batch: each event alone, the refused ones skipped."""
        for event in batch.events:
            single = _Batch(batch.app, batch.started, [event], 0)
            try:
                await self._send(single, alone=True)
            except ApiError as err:
                self._refuse(Refusal(_reason(err.status), err.message, batch.app), counted=True)

    def _refuse(self, refusal: Refusal, *, counted: bool = False) -> None:
        slug = refusal.app.slug if refusal.app is not None else _NO_APP
        if not counted:  # the ingestor counted its own refusals
            app_id = refusal.app.app_id if refusal.app is not None else None
            self._ingestor.usage.rejected(app_id, slug, 1, refusal.reason)
        key = (refusal.reason, slug)
        seen = self._refused.get(key, 0)
        self._refused[key] = seen + 1
        if not seen:
            log.warning(
                "Syslog message refused; further refusals like it on this connection are counted.",
                extra={
                    "ctx": self._ctx(slug or None, refusal.explanation, None, reason=refusal.reason)
                },
            )

    def _lost(self, why: str) -> None:
        batch, self._batch = self._batch, None
        if batch is None:
            log.warning("Syslog connection closed.", extra={"ctx": self._ctx(None, why, None)})
            return
        self._ingestor.usage.rejected(batch.app.app_id, batch.app.slug, len(batch.events), "lost")
        log.error(
            "Syslog connection closed with messages Kafka did not acknowledge; the sender "
            "counts them as delivered, so they are lost.",
            extra={"ctx": self._ctx(batch.app.slug, why, len(batch.events))},
        )

    def _summarise(self) -> None:
        for (reason, slug), count in self._refused.items():
            if count > 1:
                log.warning(
                    "Syslog messages refused on a closed connection.",
                    extra={"ctx": self._ctx(slug or None, None, count, reason=reason)},
                )

    def _ctx(self, app: str | None, error: str | None, messages: int | None, **more: Any) -> Any:
        ctx: dict[str, Any] = {"peer": self.peer, **more}
        if app is not None:
            ctx["app"] = app
        if error is not None:
            ctx["error"] = error
        if messages is not None:
            ctx["messages"] = messages
        return ctx


def _retry_after(err: ApiError) -> float:
    try:
        return max(0.1, float((err.headers or {}).get("Retry-After", "1")))
    except ValueError:
        return 1.0


def _reason(status: int) -> str:
    return "too_large" if status == 413 else "malformed"
