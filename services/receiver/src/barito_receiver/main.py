"""Barito receiver: app factory, lifespan and entry point."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from barito_common.app_registry import AppRegistry
from barito_common.json_logging import configure_logging
from barito_common.kafka import KafkaProbe, Topics, create_producer
from barito_common.kafka.recovering_producer import RecoveringProducer
from barito_common.service_app import Dependency, create_service_app
from barito_common.serving import serve_workers
from barito_common.settings import KafkaSettings
from barito_receiver.api import bulk, otlp
from barito_receiver.api.logs import router
from barito_receiver.cluster_producers import ClusterProducers
from barito_receiver.ingest import Ingestor
from barito_receiver.listeners import build_listeners
from barito_receiver.rate_gossip import RateGossip
from barito_receiver.settings import ReceiverSettings, get_settings
from barito_receiver.token_bucket import RateLimiter
from barito_receiver.usage import UsageMeter

log = logging.getLogger(__name__)


def create_app(settings: ReceiverSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    topics = Topics(settings.kafka.topic_prefix)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[list[Dependency]]:
        kafka = KafkaProbe(settings.kafka, timeout_s=settings.readiness_timeout_s)
        registry = AppRegistry(settings.kafka)
        compression = None if settings.compression == "none" else settings.compression

        def new_producer(target: KafkaSettings) -> AIOKafkaProducer:
            return create_producer(target, compression_type=compression)

        producer = RecoveringProducer(lambda: new_producer(settings.kafka))
        producers = ClusterProducers(
            producer,
            settings.kafka,
            factory=new_producer,
            connect_wait_s=settings.cluster_connect_wait_s,
        )
        usage = UsageMeter(app.state.metrics)
        limiter = RateLimiter(burst_seconds=settings.burst_seconds)
        rates = RateGossip(settings, limiter, metrics=app.state.metrics, errors=usage.errors)
        ingestor = Ingestor(settings=settings, producers=producers, limiter=limiter, usage=usage)
        app.state.registry = registry
        app.state.ingestor = ingestor
        listeners = build_listeners(settings, registry, ingestor)
        await registry.start()
        await rates.start()
        starting = asyncio.create_task(ingestor.start(), name="kafka-start")
        publishing = asyncio.create_task(
            usage.windows.publish_forever(producer, topics.usage, settings.usage_window_s),
            name="usage-publisher",
        )
        sweeping = asyncio.create_task(
            producers.sweep_forever(registry, settings.cluster_sweep_s), name="cluster-sweep"
        )
        for listener in listeners:
            await listener.start()
        try:
            yield [
                Dependency("kafka", kafka.check),
                Dependency("app-registry", registry.check),
                Dependency("rate-budget", rates.check),
                *(listener.dependency() for listener in listeners),
            ]
        finally:
            for listener in listeners:
                await listener.stop()
            await rates.stop()
            for task in (sweeping, publishing, starting):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            # Flush what was accepted in the last window before the producer closes.
            if producer.started.is_set():
                await usage.windows.publish(producer, topics.usage)
            await producers.close()
            await producer.stop()
            await registry.stop()
            await kafka.close()

    app = create_service_app(service="receiver", settings=settings, lifespan=lifespan)
    app.include_router(router)
    app.include_router(otlp.router)
    app.include_router(bulk.router)
    return app


def run() -> None:
    settings = get_settings()
    configure_logging("receiver", settings.log_level)
    serve_workers(create_app, settings, service="receiver", workers=settings.workers)


if __name__ == "__main__":
    run()
