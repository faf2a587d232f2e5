"""Barito flow: app factory, lifespan and entry point.

Two Kafkas may be in play (architecture §6): the log topics are read from
``settings.logs_kafka`` (a dedicated group's own Kafka for a group's flow),
while the app registry, the usage topic and the dead-letter topic are on the
installation's Kafka (``settings.kafka``), where the market reads them.

This module wires the parts: indexing (:mod:`.consumer.startup`), retention
(:mod:`.retention`), usage reports, and the retention endpoint
(:mod:`.api.retention`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from barito_common.app_registry import AppRegistry
from barito_common.capacity import load_templates
from barito_common.json_logging import configure_logging
from barito_common.kafka import KafkaProbe, Topics, create_producer
from barito_common.kafka.recovering_producer import RecoveringProducer
from barito_common.search import create_search_adapter
from barito_common.service_app import Dependency, create_service_app
from barito_common.serving import serve
from barito_common.usage_windows import UsageWindows
from barito_flow.api.retention import router as retention_router
from barito_flow.app_scope import AppScope
from barito_flow.consumer.batch_indexer import BatchIndexer
from barito_flow.consumer.startup import index_forever
from barito_flow.consumer.worker import FlowWorker
from barito_flow.retention import delete_expired_forever
from barito_flow.settings import FlowSettings, get_settings
from barito_flow.telemetry import FlowMetrics


def _logs_kafka_probe(settings: FlowSettings) -> KafkaProbe | None:
    """A probe of the log topics' Kafka when it is not the installation's, else None."""
    if settings.logs_kafka.bootstrap_servers == settings.kafka.bootstrap_servers:
        return None
    return KafkaProbe(settings.logs_kafka, timeout_s=settings.readiness_timeout_s)


def create_app(settings: FlowSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[list[Dependency]]:
        kafka = KafkaProbe(settings.kafka, timeout_s=settings.readiness_timeout_s)
        logs_kafka = _logs_kafka_probe(settings)
        search = create_search_adapter(settings.search)
        registry = AppRegistry(settings.kafka)
        producer = RecoveringProducer(lambda: create_producer(settings.kafka))
        metrics = FlowMetrics.create(app.state.metrics)
        usage = UsageWindows("flow", errors=metrics.errors)
        templates = load_templates(settings.capacity_templates_dir)
        indexer = BatchIndexer(settings, search, registry, producer, metrics, usage, templates)
        topics = Topics(settings.kafka.topic_prefix)
        scope = AppScope(registry, topics, settings.app_group_id)
        worker = FlowWorker(settings, indexer, metrics, scope)
        app.state.search, app.state.registry, app.state.scope = search, registry, scope
        await registry.start()

        async def publish_usage() -> None:
            await producer.started.wait()
            await usage.publish_forever(producer, topics.usage, settings.usage_window_s)

        tasks = [
            asyncio.create_task(index_forever(settings, producer, worker), name="flow-worker"),
            asyncio.create_task(
                delete_expired_forever(
                    search, scope.apps, interval_s=settings.retention_interval_s
                ),
                name="retention",
            ),
            asyncio.create_task(publish_usage(), name="usage-publisher"),
        ]
        dependencies = [
            Dependency("kafka", kafka.check),
            Dependency(settings.search.engine, search.ping),
            Dependency("app-registry", registry.check),
        ]
        if logs_kafka is not None:
            dependencies.insert(1, Dependency("logs-kafka", logs_kafka.check))
        try:
            yield dependencies
        finally:
            # SIGTERM: let in-flight batches finish and commit, then leave the group.
            await worker.stop()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(tasks[0]), settings.shutdown_grace_s + 5)
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            # What the last window indexed is reported before the producer closes.
            if producer.started.is_set():
                await usage.publish(producer, topics.usage)
            await producer.stop()
            await registry.stop()
            await kafka.close()
            if logs_kafka is not None:
                await logs_kafka.close()
            await search.close()

    app = create_service_app(service="flow", settings=settings, lifespan=lifespan)
    app.include_router(retention_router)
    return app


def run() -> None:
    settings = get_settings()
    configure_logging("flow", settings.log_level)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    run()
