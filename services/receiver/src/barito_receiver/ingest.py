"""One ingest request, from body to Kafka acknowledgement.

Order matters: the whole body is decoded and validated before anything is
written, so a 400 leaves nothing behind; the rate is charged only for valid
events; and the answer waits until Kafka acknowledged every chunk, so a 2xx
always means durable. All chunks of one request go to one partition, so a
consumer sees the request's events in the order they were sent. The chunks
go to the Kafka of the app's cluster (``cluster_producers``): its dedicated
group's own, else the installation's.

Exceptions raised as ``ApiError`` carry the status the client gets:
400/413/415 for the body, 429 over the rate, 503 when Kafka does not ack.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka.errors import KafkaError

from barito_common.chunk_codec import (
    ChunkError,
    Event,
    EventTooLarge,
    encode_chunks,
    request_id_headers,
)
from barito_common.clusters import cluster_key
from barito_common.errors import ApiError
from barito_common.kafka import Topics, ensure_topics, usage_topic_spec
from barito_common.schemas import AppProfile
from barito_receiver.body_formats import MSGPACK_TYPES, body_media_type, decode_events
from barito_receiver.cluster_producers import ClusterProducers
from barito_receiver.decode_errors import BodyError
from barito_receiver.decompression import decompress
from barito_receiver.idempotency import request_id
from barito_receiver.redactors import Redactors
from barito_receiver.settings import ReceiverSettings
from barito_receiver.token_bucket import RateLimiter
from barito_receiver.usage import UsageMeter

__all__ = ["Ingestor"]

log = logging.getLogger(__name__)


@dataclass
class Ingestor:
    settings: ReceiverSettings
    producers: ClusterProducers
    limiter: RateLimiter
    usage: UsageMeter
    redactors: Redactors = field(default_factory=Redactors)
    _spread: itertools.count[int] = field(default_factory=itertools.count)

    async def start(self, retry_delay_s: float = 1.0) -> None:
        """Reach the installation's Kafka: the usage topic, then the producer.

        Until then a shared app's ingest answers 503; a dedicated app's does
        not wait for it, its chunks going to its own cluster.
        """
        while True:
            try:
                await self._ensure_usage_topic()
            except KafkaError as err:
                log.warning(
                    "Kafka is not reachable yet; retrying.", extra={"ctx": {"error": repr(err)}}
                )
                await asyncio.sleep(retry_delay_s)
            else:
                break
        await self.producers.installation.start_when_reachable()

    async def ingest(
        self,
        app: AppProfile,
        body: bytes,
        *,
        content_type: str | None,
        content_encoding: str | None,
        idempotency_key: str | None,
    ) -> int:
        settings = self.settings
        # Decoding a body makes a dict per event and more, and each of them dies
        # by reference count once the chunks are packed. Were the cyclic GC to
        # run in between, it would promote these young objects, and full
        # collections would then walk the whole heap for them (a quarter of a
        # receiver's CPU). Paused, none runs: nothing the body became outlives
        # this block but bytes. Only the event loop's thread runs it.
        with _cyclic_gc_paused():
            try:
                raw = decompress(
                    body,
                    content_encoding,
                    max_bytes=settings.max_request_bytes,
                    max_ratio=settings.max_compression_ratio,
                )
                media_type = body_media_type(raw, content_type)
                events = decode_events(
                    raw,
                    media_type,
                    received_at=datetime.now(UTC),
                    max_events=settings.max_events_per_request,
                )
            except BodyError as err:
                self.usage.rejected(app.app_id, app.slug, 1, _reason(err.status))
                raise ApiError(err.status, str(err)) from err
            json_body = media_type not in MSGPACK_TYPES
            chunks = self._encode(
                app, events, json_records=json_body, source=raw if json_body else None
            )
            count = len(events)
            del events
        request = request_id(idempotency_key, raw) if idempotency_key is not None else None
        return await self._deliver(app, chunks, count, raw_bytes=len(raw), request=request)

    async def accept_events(
        self, app: AppProfile, events: list[Event], *, raw_bytes: int, request: str | None = None
    ) -> int:
        """Write events already decoded by a protocol; return how many Kafka acknowledged.

        The part every ingest protocol shares (HTTP bodies, OTLP, the bulk API,
        the forward protocol, syslog): the events are encoded into chunks (413
        for one over the size limit), charged to the app's rate (429), and
        written to the app's topic; the call returns only once Kafka
        acknowledged every chunk (503 if it did not). ``raw_bytes`` is the
        decoded size the usage counts; ``request`` an idempotency id
        (``idempotency.request_id``) whose retry the flow indexes once.
        Raises ``ApiError`` with the HTTP status; a TCP protocol maps it to its
        own refusal.
        """
        chunks = self._encode(app, events, json_records=False)
        return await self._deliver(app, chunks, len(events), raw_bytes=raw_bytes, request=request)

    def _encode(
        self,
        app: AppProfile,
        events: list[Event],
        *,
        json_records: bool,
        source: bytes | None = None,
    ) -> list[bytes]:
        """The chunks of ``events``, redacted by the app's rules; 413 for an event over
        the size limit, 400 for one msgpack cannot hold, 503 for a rule that cannot be
        applied. ``json_records``: see ``encode_chunks``; ``source``: the JSON body the
        events were decoded from, if any, which lets redaction skip a body with
        nothing to mask."""
        # Every protocol passes here, so no path reaches Kafka unredacted; the
        # size limit then applies to what is stored.
        try:
            self.redactors.redact(app, events, source=source)
        except ApiError:
            self.usage.rejected(app.app_id, app.slug, len(events), "redaction")
            raise
        max_bytes = self.settings.max_event_bytes
        try:
            return encode_chunks(events, max_bytes=max_bytes, json_records=json_records)
        except EventTooLarge as err:
            self.usage.rejected(app.app_id, app.slug, len(events), "too_large")
            raise ApiError(
                413,
                f"Event {err.index} is {err.size} bytes encoded; the limit is "
                f"{max_bytes} bytes per event.",
            ) from err
        except ChunkError as err:  # a value msgpack cannot hold, e.g. an integer past 64 bits
            self.usage.rejected(app.app_id, app.slug, len(events), "malformed")
            raise ApiError(400, str(err)) from err

    async def _deliver(
        self,
        app: AppProfile,
        chunks: list[bytes],
        events: int,
        *,
        raw_bytes: int,
        request: str | None,
    ) -> int:
        """Charge ``events`` to the app's rate (429 over it), then write ``chunks``."""
        retry_after = self.limiter.admit(app.app_id, app.tps, events)
        if retry_after:
            self.usage.rejected(app.app_id, app.slug, events, "rate_limited")
            raise ApiError(
                429,
                f"App '{app.slug}' is over its rate of {app.tps} events/s; "
                f"retry in {retry_after}s.",
                headers={"Retry-After": str(retry_after)},
            )

        await self._produce(app, chunks, request)
        self.usage.accepted(app.app_id, app.slug, events, raw_bytes)
        return events

    async def _ensure_usage_topic(self) -> None:
        topics = Topics(self.settings.kafka.topic_prefix)
        await ensure_topics(self.settings.kafka, [usage_topic_spec(topics)])

    async def _produce(self, app: AppProfile, chunks: list[bytes], request: str | None) -> None:
        try:
            async with asyncio.timeout(self.settings.produce_timeout_s):
                producer = await self.producers.for_app(app)
                partitions = sorted(await producer.partitions_for(app.topic))
                partition = partitions[next(self._spread) % len(partitions)]
                acks = [
                    await producer.send(
                        app.topic,
                        chunk,
                        partition=partition,
                        headers=request_id_headers(request, n) if request else None,
                    )
                    for n, chunk in enumerate(chunks)
                ]
                await asyncio.gather(*acks)
        except (TimeoutError, KafkaError) as err:
            self.usage.errors.labels("produce").inc()
            log.warning(
                "Kafka did not acknowledge a request.",
                extra={
                    "ctx": {
                        "app": app.slug,
                        "cluster": cluster_key(app.cluster),
                        "chunks": len(chunks),
                        "error": repr(err),
                    }
                },
            )
            # Some chunks may have been written before the failure; the client's
            # retry then writes them again. Kafka has no cross-chunk atomicity
            # short of transactions, which would serialise every request; the
            # flow indexes a chunk by its request id or its content's id, so
            # the copy adds nothing.
            raise ApiError(
                503,
                "Kafka did not acknowledge the logs in time; nothing is confirmed, retry.",
                headers={"Retry-After": str(self.settings.retry_after_s)},
            ) from err


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _reason(status: int) -> str:
    return {413: "too_large", 415: "unsupported"}.get(status, "malformed")
