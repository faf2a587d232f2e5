"""Indexes the batches of one or more partitions until every document is durable.

Durable means: in the index (created now, or already there from an earlier
attempt: ``_id`` derives from the chunk's content, so a replay, or the same
chunk written twice by a client's retry, rewrites nothing), or in the
dead-letter topic with the engine's reason. Only then may the caller commit
the batch's offsets. Documents the engine cannot take now (429, 5xx, no
answer) are sent again with exponential backoff and jitter, for as long as it
takes, and so is the app's index template; the caller has paused the
partition meanwhile, so the other partitions keep flowing. Bulks are cut by
count and by size, and a bulk still too large for the engine (or a proxy in
front of it: 413) is split until it fits, down to one document, which is then
dead-lettered: one oversized event must not stall its partition for good.

Several partitions' batches are indexed together, their documents sharing
bulk requests: with a thousand apps a poll brings one or two chunks from each
of hundreds of partitions, and a bulk request apiece made the requests, not
the events, the flow's limit. Each document still knows the partition and
offset it was read at, for its dead letter, and each app's usage is counted
apart.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka.structs import ConsumerRecord

from barito_common.app_registry import AppRegistry
from barito_common.capacity import CapacityTemplate
from barito_common.chunk_codec import CorruptChunk, decode_chunk
from barito_common.kafka import Topics
from barito_common.kafka.recovering_producer import RecoveringProducer
from barito_common.schemas import DeadLetter, to_bytes
from barito_common.search import BulkResult, SearchAdapter, SearchError
from barito_common.search.index_template import index_template_body, template_name
from barito_common.usage_windows import UsageWindows
from barito_flow.bulk_plan import (
    WholeFailure,
    after_whole_failure,
    backoff_delay,
    dead_letter,
    settle,
    slices,
)
from barito_flow.documents import Document, chunk_documents, chunk_id
from barito_flow.settings import FlowSettings
from barito_flow.telemetry import FlowMetrics

__all__ = ["AppIndexing", "BatchIndexer"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppIndexing:
    """What the flow needs to know of an app to index its chunks."""

    app_id: str
    slug: str
    index_prefix: str
    capacity: str


@dataclass(frozen=True)
class _Origin:
    """Where a batch's documents were read, for their dead letters."""

    app: AppIndexing
    topic: str
    partition: int
    offsets: dict[str, int]
    """The offset of each chunk, by chunk id."""


@dataclass
class _Origins:
    """Which batch each document of a call came from."""

    batches: list[_Origin] = field(default_factory=list)
    owner: dict[int, int] = field(default_factory=dict)
    """The batch number of each document, by ``id()``: documents of two batches may be
    equal (the same chunk written to two partitions by a client's retry)."""

    def of(self, document: Document) -> _Origin:
        return self.batches[self.owner[id(document)]]

    def number(self, document: Document) -> int:
        return self.owner[id(document)]

    def slugs(self, documents: Sequence[Document]) -> Counter[str]:
        return Counter(self.of(document).app.slug for document in documents)


@dataclass
class _Durable:
    """What became of a slice of documents once none is left to retry, by batch number."""

    added: Counter[int] = field(default_factory=Counter)
    """Put in the index by this flow: what usage counts."""
    dead: Counter[int] = field(default_factory=Counter)

    def __add__(self, other: _Durable) -> _Durable:
        return _Durable(self.added + other.added, self.dead + other.dead)


@dataclass
class BatchIndexer:
    settings: FlowSettings
    search: SearchAdapter
    registry: AppRegistry
    dead_letters: RecoveringProducer
    metrics: FlowMetrics
    usage: UsageWindows
    templates: Mapping[str, CapacityTemplate]
    """Capacity templates by name, smallest first (``load_templates``)."""
    _bulk_slots: asyncio.Semaphore = field(init=False)
    _templates: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._bulk_slots = asyncio.Semaphore(self.settings.bulks_in_flight)
        self._topics = Topics(self.settings.kafka.topic_prefix)

    def app_for_topic(self, topic: str) -> AppIndexing:
        slug = topic.removeprefix(self._topics.logs(""))
        profile = self.registry.by_slug(slug)
        if profile is None:
            # A topic without a profile (not yet published, or a deleted app whose
            # topic still holds data): index by the naming convention, lose nothing.
            prefix = f"{self.settings.search.index_prefix}{slug}"
            return AppIndexing(app_id=slug, slug=slug, index_prefix=prefix, capacity="small")
        return AppIndexing(profile.app_id, profile.slug, profile.index_prefix, profile.capacity)

    async def index_batches(
        self, batches: Sequence[tuple[str, int, Sequence[ConsumerRecord]]]
    ) -> None:
        """Index ``(topic, partition, records)`` batches until all their documents are durable."""
        origins = _Origins()
        documents: list[Document] = []
        chunk_bytes: list[int] = []
        document_counts: list[int] = []
        for topic, partition, records in batches:
            app = self.app_for_topic(topic)
            await self._ensure_template(app)
            number = len(origins.batches)
            # Where each chunk was read, for the dead letters of its documents.
            offsets: dict[str, int] = {}
            size = 0
            count = 0
            for record in records:
                try:
                    events = decode_chunk(record.value)
                except CorruptChunk as err:
                    await self._dead_letter_chunk(app, topic, record, str(err))
                    continue
                size += len(record.value or b"")
                self.metrics.received.labels(app.slug).inc(len(events))
                record_chunk_id = chunk_id(record.value, record.headers)
                offsets[record_chunk_id] = record.offset
                for document in chunk_documents(
                    events=events,
                    app_slug=app.slug,
                    index_prefix=app.index_prefix,
                    chunk_id=record_chunk_id,
                    # An event whose own time cannot be read is filed under the day
                    # Kafka received its chunk.
                    fallback_day=datetime.fromtimestamp(record.timestamp / 1000, UTC).date(),
                ):
                    origins.owner[id(document)] = number
                    documents.append(document)
                    count += 1
            origins.batches.append(_Origin(app, topic, partition, offsets))
            chunk_bytes.append(size)
            document_counts.append(count)
        bulks = slices(
            documents,
            max_docs=self.settings.bulk_max_docs,
            max_bytes=self.settings.bulk_max_bytes,
        )
        settled = await asyncio.gather(
            *(self._index_until_durable(origins, bulk) for bulk in bulks)
        )
        durable = sum(settled, _Durable())
        for number, origin in enumerate(origins.batches):
            if document_counts[number]:
                added = durable.added[number]
                # Bytes are the events' encoded size in Kafka, shared out evenly: cheaper
                # than measuring each document, and what the topic actually holds.
                self.usage.add(
                    origin.app.app_id,
                    events=added,
                    size=chunk_bytes[number] * added // document_counts[number],
                    dead_lettered=durable.dead[number],
                )

    async def _index_until_durable(
        self, origins: _Origins, documents: list[Document], attempt: int = 0
    ) -> _Durable:
        """Index until every document is in the index or dead-lettered.

        ``attempt`` counts the tries these documents already had, as part of a
        larger bulk the engine refused for its size.
        """
        pending = documents
        durable = _Durable()
        while pending:
            async with self._bulk_slots:
                started = time.perf_counter()
                result: BulkResult | Exception
                try:
                    result = await self.search.bulk_index(
                        [(doc.index, doc.id, doc.source) for doc in pending]
                    )
                except Exception as err:
                    result = err
                self.metrics.bulk_seconds.observe(time.perf_counter() - started)
            if isinstance(result, Exception):
                refused = await self._refused_whole(origins, pending, result, attempt)
                if refused is not None:
                    return durable + refused
            else:
                settlement = settle(pending, result)
                for slug, done in origins.slugs(settlement.indexed + settlement.existing).items():
                    self.metrics.sent.labels(slug).inc(done)
                for document, reason in settlement.dead:
                    await self._dead_letter(origins.of(document), document, reason)
                durable.dead.update(map(origins.number, (doc for doc, _ in settlement.dead)))
                durable.added.update(map(origins.number, settlement.indexed))
                # Already there at the first attempt: a request the client sent again
                # (or a redelivery), counted when it was first indexed. Already there
                # at a later one: possibly our own earlier attempt, which the engine
                # took without answering, so counted now.
                if attempt > 0:
                    durable.added.update(map(origins.number, settlement.existing))
                pending = settlement.retry
            if pending:
                attempt += 1
                for slug, retried in origins.slugs(pending).items():
                    self.metrics.retries.labels(slug).inc(retried)
                await asyncio.sleep(self._backoff(attempt))
        return durable

    async def _refused_whole(
        self, origins: _Origins, documents: list[Document], err: Exception, attempt: int
    ) -> _Durable | None:
        """Split or dead-letter a bulk refused as a whole; None: send it again as it is."""
        apps = ", ".join(sorted(origins.slugs(documents)))
        self.metrics.errors.labels("bulk").inc()
        status = err.status if isinstance(err, SearchError) else None
        failure = after_whole_failure(status, len(documents))
        if failure is WholeFailure.SPLIT:
            # Too large for the engine, or for a proxy in front of it. Nothing of it
            # was indexed, so the halves go at once, with the attempts it had.
            log.warning(
                "Bulk request too large; splitting it.",
                extra={"ctx": {"apps": apps, "docs": len(documents), "error": repr(err)}},
            )
            middle = len(documents) // 2
            halves = await asyncio.gather(
                self._index_until_durable(origins, documents[:middle], attempt),
                self._index_until_durable(origins, documents[middle:], attempt),
            )
            return halves[0] + halves[1]
        if failure is WholeFailure.DEAD_LETTER:
            # It would be refused forever, and its partition stalled with it.
            (document,) = documents
            refusal = err.reason if isinstance(err, SearchError) else repr(err)
            reason = f"too large to index, even alone (HTTP 413): {refusal}"
            log.warning(
                "Document too large for the search engine; dead-lettering it.",
                extra={
                    "ctx": {
                        "app": origins.of(document).app.slug,
                        "id": document.id,
                        "error": reason,
                    }
                },
            )
            await self._dead_letter(origins.of(document), document, reason, kind="too_large")
            return _Durable(dead=Counter([origins.number(document)]))
        # Any other whole-request failure (bad credentials, a body the client cannot
        # serialise) is no reason to drop the batch: keep trying and make it loud,
        # so an operator can act.
        log.error(
            "Bulk request failed as a whole; retrying.",
            extra={"ctx": {"apps": apps, "docs": len(documents), "error": repr(err)}},
        )
        return None

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt, base_s=self.settings.retry_base_s, cap_s=self.settings.retry_cap_s
        )

    async def _dead_letter(
        self, origin: _Origin, document: Document, reason: str, *, kind: str = "rejected"
    ) -> None:
        """Dead-letter a document the engine refused; ``kind`` labels the drop metric."""
        # The chunk id is URL-safe base64, which may hold "-" itself.
        document_chunk_id, position = document.id.rsplit("-", 1)
        letter = dead_letter(
            document,
            reason,
            app_id=origin.app.app_id,
            app_slug=origin.app.slug,
            topic=origin.topic,
            partition=origin.partition,
            offset=origin.offsets[document_chunk_id],
            index_in_chunk=int(position),
            now=datetime.now(UTC),
        )
        await self._send_dead_letter(origin.app, letter, kind)

    async def _dead_letter_chunk(
        self, app: AppIndexing, topic: str, record: ConsumerRecord, reason: str
    ) -> None:
        letter = DeadLetter(
            app_id=app.app_id,
            app_slug=app.slug,
            topic=topic,
            partition=record.partition,
            offset=record.offset,
            index_in_chunk=0,
            # The undecodable bytes are kept whole, so nothing is lost for good.
            event={"corrupt_chunk_base64": base64.b64encode(record.value or b"").decode()},
            reason=f"chunk cannot be decoded: {reason}",
            failed_at=datetime.now(UTC),
        )
        await self._send_dead_letter(app, letter, "corrupt_chunk")
        self.usage.add(app.app_id, dead_lettered=1)

    async def _send_dead_letter(self, app: AppIndexing, letter: DeadLetter, reason: str) -> None:
        # The offset is committed only after the dead letter is acknowledged.
        await self.dead_letters.send_and_wait(
            self._topics.dead_letters, to_bytes(letter), key=app.app_id.encode()
        )
        self.metrics.dropped.labels(app.slug, reason).inc()

    async def _ensure_template(self, app: AppIndexing) -> None:
        if app.index_prefix in self._templates:
            return
        # A template this process does not know (added to the market since it
        # started) gets the smallest one's shape until the provisioner's arrives.
        capacity = self.templates.get(app.capacity) or next(iter(self.templates.values()))
        body = index_template_body(
            index_prefix_pattern=f"{app.index_prefix}-*",
            shards=capacity.search.primary_shards,
            replicas=capacity.search.replicas,
        )
        # The provisioner's template, when there is one, knows the cluster (it
        # caps replicas by the nodes present): this one only stands in for it,
        # so that no document is ever indexed under default dynamic mappings.
        # Hence no document of the app is sent before it is there: while the
        # engine is away the put is retried like a bulk, with backoff, for as
        # long as it takes, the partition paused meanwhile.
        attempt = 0
        while True:
            try:
                await self.search.put_index_template(
                    template_name(app.index_prefix), **body, replace=False
                )
                break
            except SearchError as err:
                attempt += 1
                self.metrics.errors.labels("template").inc()
                log.warning(
                    "Putting the index template failed; retrying.",
                    extra={"ctx": {"app": app.slug, "attempt": attempt, "error": repr(err)}},
                )
                await asyncio.sleep(self._backoff(attempt))
        self._templates.add(app.index_prefix)
